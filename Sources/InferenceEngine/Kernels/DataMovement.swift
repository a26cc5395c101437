import InferenceGraph
import Foundation

/// Copies a strided view of the input into a contiguous output: covers Transpose, Slice and the
/// NCHW/NHWC layout conversions. The outer iterations' source offsets are precomputed; the
/// innermost axis is a run with a fixed source stride.
struct StridedCopy: Sendable {
    let innerCount: Int
    let innerStride: Int
    let outerOffsets: [Int]

    /// `shape` is the output's shape; `strides[axis]` how far the source moves per output step on `axis`.
    init(shape: [Int], strides: [Int], offset: Int) {
        var dims: [Int] = [], steps: [Int] = []
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let last = dims.last, steps.last! == strides[axis] * shape[axis] {
                dims[dims.count - 1] = last * shape[axis]
                steps[steps.count - 1] = strides[axis]
            } else {
                dims.append(shape[axis]); steps.append(strides[axis])
            }
        }
        if dims.isEmpty { dims = [1]; steps = [1] }
        innerCount = dims.last!
        innerStride = steps.last!
        let outer = Array(dims.dropLast()), outerSteps = Array(steps.dropLast())
        var offsets: [Int] = []
        let count = outer.reduce(1, *)
        offsets.reserveCapacity(count)
        var index = [Int](repeating: 0, count: outer.count)
        for _ in 0..<count {
            var position = offset
            for axis in 0..<index.count { position += index[axis] * outerSteps[axis] }
            offsets.append(position)
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outer[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        outerOffsets = offsets
    }

    /// Row-major strides of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        var destination = output
        let n = innerCount, stride = innerStride
        outerOffsets.withUnsafeBufferPointer { offsets in
            for offset in offsets {
                let source = input + offset
                if stride == 1 {
                    destination.update(from: source, count: n)
                } else {
                    for index in 0..<n { destination[index] = source[index * stride] }
                }
                destination += n
            }
        }
    }
}

/// Output element i is input[table[i]], or `fill` where the table holds -1. Used for Pad
/// (constant, reflect, edge), where a precomputed table is simplest.
struct GatherTable: Sendable {
    let table: [Int32]
    let fill: Float

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        table.withUnsafeBufferPointer { table in
            for index in 0..<table.count {
                let source = table[index]
                output[index] = source < 0 ? fill : input[Int(source)]
            }
        }
    }
}

/// Constant-mode Pad: fills the output, then copies each contiguous run of the input (its last
/// physical axis) to its precomputed place inside the padded output.
struct PaddedCopy: Sendable {
    let fill: Float
    let outputCount: Int
    let runLength: Int
    /// Destination offset per input run (input runs are consecutive).
    let destinationOffsets: [Int]
    /// Offset of each run's first copied element in the input run (negative pads crop).
    let sourceSkip: Int

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        output.update(repeating: fill, count: outputCount)
        let stride = runLength + sourceSkipTotal
        destinationOffsets.withUnsafeBufferPointer { offsets in
            for (index, offset) in offsets.enumerated() where offset >= 0 {
                let source = input + index * stride + sourceSkip
                let destination = output + offset
                if runLength < 16 {
                    for element in 0..<runLength { destination[element] = source[element] }
                } else {
                    destination.update(from: source, count: runLength)
                }
            }
        }
    }

    /// Input run length minus the copied length (elements cropped at both ends).
    let sourceSkipTotal: Int
}

/// Copies blocks for Concat (and, reversed, Split): `outer` repetitions of a `chunk`-float block.
enum BlockCopy {
    static func copy(outer: Int, chunk: Int, source: UnsafePointer<Float>, sourceStride: Int,
                     destination: UnsafeMutablePointer<Float>, destinationStride: Int) {
        for index in 0..<outer {
            (destination + index * destinationStride).update(from: source + index * sourceStride, count: chunk)
        }
    }
}

/// Softmax along one axis of a contiguous tensor viewed as [outer, axis, inner].
enum SoftmaxKernel {
    static func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outer: Int, axis: Int, inner: Int,
                    logarithm: Bool) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * axis * inner + i
                var maximum = -Float.infinity
                for a in 0..<axis { maximum = max(maximum, input[base + a * inner]) }
                var sum: Float = 0
                for a in 0..<axis {
                    let value = Foundation.exp(input[base + a * inner] - maximum)
                    output[base + a * inner] = value
                    sum += value
                }
                if logarithm {
                    let logSum = Foundation.log(sum)
                    for a in 0..<axis { output[base + a * inner] = input[base + a * inner] - maximum - logSum }
                } else {
                    let scale = 1 / sum
                    for a in 0..<axis { output[base + a * inner] *= scale }
                }
            }
        }
    }
}

/// Resize of one NHWC image with per-row and per-column source taps precomputed at plan time.
struct ResizeTables: Sendable {
    /// For each output row: two source rows and the weight of the second.
    let rows: [(Int, Int, Float)]
    let columns: [(Int, Int, Float)]

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, inputWidth: Int, channels: Int) {
        var destination = output
        for (y0, y1, wy) in rows {
            for (x0, x1, wx) in columns {
                let p00 = input + (y0 * inputWidth + x0) * channels, p01 = input + (y0 * inputWidth + x1) * channels
                let p10 = input + (y1 * inputWidth + x0) * channels, p11 = input + (y1 * inputWidth + x1) * channels
                if wx == 0 && wy == 0 {
                    destination.update(from: p00, count: channels)
                } else {
                    let w00 = (1 - wy) * (1 - wx), w01 = (1 - wy) * wx, w10 = wy * (1 - wx), w11 = wy * wx
                    for c in 0..<channels {
                        destination[c] = p00[c] * w00 + p01[c] * w01 + p10[c] * w10 + p11[c] * w11
                    }
                }
                destination += channels
            }
        }
    }
}

/// Plain batched matrix product for MatMul/Gemm whose right operand is not a constant.
enum NaiveMatMul {
    static func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                    m: Int, k: Int, n: Int, aRowStride: Int, aColumnStride: Int, bRowStride: Int, bColumnStride: Int) {
        for i in 0..<m {
            for j in 0..<n { c[i * n + j] = 0 }
            for p in 0..<k {
                let value = a[i * aRowStride + p * aColumnStride]
                for j in 0..<n { c[i * n + j] += value * b[p * bRowStride + j * bColumnStride] }
            }
        }
    }
}
