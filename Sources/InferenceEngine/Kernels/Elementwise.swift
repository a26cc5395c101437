import InferenceGraph
import Foundation

/// Binary operators with NumPy broadcasting.
enum BinaryOperator: Sendable {
    case add, subtract, multiply, divide, maximum, minimum, power
    /// x < 0 ? slope * x : x, with the slope as the second operand.
    case preluSlope

    @inline(__always)
    func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .maximum: return SIMDMath.maximum(a, b)
        case .minimum: return SIMDMath.minimum(a, b)
        case .preluSlope: return SIMDMath.select(a, a * b, where: a .< SIMD8<Float>())
        case .power:
            var result = a
            for lane in 0..<8 { result[lane] = Foundation.pow(a[lane], b[lane]) }
            return result
        }
    }

    @inline(__always)
    func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .preluSlope: return a < 0 ? a * b : a
        case .power: return Foundation.pow(a, b)
        }
    }
}

/// A broadcast binary operation lowered to an outer loop over precomputed offsets and an inner
/// contiguous run whose operands each advance by 0 or 1.
struct BroadcastPlan: Sendable {
    let innerCount: Int
    let leftInnerStride: Int
    let rightInnerStride: Int
    /// Pairs (left offset, right offset) per outer iteration; output advances by `innerCount`.
    let outerOffsets: [Int]

    /// `left`, `right`, `output` are physical shapes of equal rank (size-1 dimensions broadcast).
    init(left: [Int], right: [Int], output: [Int]) {
        func strides(_ shape: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: shape.count)
            var running = 1
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                result[axis] = shape[axis] == 1 ? 0 : running
                running *= shape[axis]
            }
            return result
        }
        // Collapse adjacent axes that move together so the inner run is as long as possible.
        var shape: [Int] = [], leftStrides: [Int] = [], rightStrides: [Int] = []
        let ls = strides(left), rs = strides(right)
        for axis in 0..<output.count where output[axis] != 1 {
            if let last = shape.last,
               (leftStrides.last! == ls[axis] * output[axis] || (leftStrides.last! == 0 && ls[axis] == 0)),
               (rightStrides.last! == rs[axis] * output[axis] || (rightStrides.last! == 0 && rs[axis] == 0)) {
                shape[shape.count - 1] = last * output[axis]
                leftStrides[leftStrides.count - 1] = ls[axis]
                rightStrides[rightStrides.count - 1] = rs[axis]
            } else {
                shape.append(output[axis]); leftStrides.append(ls[axis]); rightStrides.append(rs[axis])
            }
        }
        if shape.isEmpty { shape = [1]; leftStrides = [0]; rightStrides = [0] }
        innerCount = shape.last!
        leftInnerStride = leftStrides.last!
        rightInnerStride = rightStrides.last!
        var offsets: [Int] = []
        let outerShape = shape.dropLast()
        let outerCount = outerShape.reduce(1, *)
        offsets.reserveCapacity(outerCount * 2)
        var index = [Int](repeating: 0, count: outerShape.count)
        for _ in 0..<outerCount {
            var leftOffset = 0, rightOffset = 0
            for axis in 0..<index.count {
                leftOffset += index[axis] * leftStrides[axis]
                rightOffset += index[axis] * rightStrides[axis]
            }
            offsets.append(leftOffset); offsets.append(rightOffset)
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outerShape[outerShape.startIndex + axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        outerOffsets = offsets
    }

    func run(_ op: BinaryOperator, left: UnsafePointer<Float>, right: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        typealias Vector = SIMD8<Float>
        let n = innerCount
        var destination = output
        outerOffsets.withUnsafeBufferPointer { offsets in
            var pair = 0
            while pair < offsets.count {
                let a = left + offsets[pair], b = right + offsets[pair + 1]
                var index = 0
                switch (leftInnerStride, rightInnerStride) {
                case (1, 1):
                    while index + 8 <= n {
                        let value = op.apply(UnsafeRawPointer(a + index).loadUnaligned(as: Vector.self),
                                             UnsafeRawPointer(b + index).loadUnaligned(as: Vector.self))
                        UnsafeMutableRawPointer(destination + index).storeBytes(of: value, as: Vector.self)
                        index += 8
                    }
                case (1, 0):
                    let scalar = Vector(repeating: b[0])
                    while index + 8 <= n {
                        let value = op.apply(UnsafeRawPointer(a + index).loadUnaligned(as: Vector.self), scalar)
                        UnsafeMutableRawPointer(destination + index).storeBytes(of: value, as: Vector.self)
                        index += 8
                    }
                case (0, 1):
                    let scalar = Vector(repeating: a[0])
                    while index + 8 <= n {
                        let value = op.apply(scalar, UnsafeRawPointer(b + index).loadUnaligned(as: Vector.self))
                        UnsafeMutableRawPointer(destination + index).storeBytes(of: value, as: Vector.self)
                        index += 8
                    }
                default:
                    break
                }
                while index < n {
                    destination[index] = op.apply(a[index * leftInnerStride], b[index * rightInnerStride])
                    index += 1
                }
                destination += n
                pair += 2
            }
        }
    }
}
