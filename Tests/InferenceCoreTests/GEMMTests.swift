@testable import InferenceCore
import Testing
import TestSupport

/// The packed GEMM against a plain triple loop, over the shapes its kernels split differently: column counts
/// around the panel and tail widths of both builds, row counts around the 6- and 12-row blocks, with and without
/// a residual, clip-like and other activations, one and several threads, and guard values past the last column
/// that must survive.
@Suite struct GEMMTests {
    static let activations: [Activation] = [.identity, .clip(lower: 0, upper: 6), .sigmoid]

    /// Runs one product and returns how many results differ from the reference (or guard values changed).
    func mismatches(m: Int, k: Int, n: Int, residual: Bool, activation: Activation, threads: Int, padding: Int,
                    generator: inout SeededGenerator) -> Int {
        func random() -> Float { Float.random(in: -1...1, using: &generator) }
        let lda = k + padding, ldc = n + padding, residualStride = n + 2 * padding + 1
        let guardCount = 32   // floats after the last row, which must survive too
        let a = (0..<((m - 1) * lda + k)).map { _ in random() }
        let b = (0..<(k * n)).map { _ in random() }
        let packed = PackedMatrix(rows: k, columns: n) { row, column in b[row * n + column] }
        let bias = (0..<PackedMatrix.roundedToPanel(n)).map { $0 < n ? random() : 0 }
        let residualValues = (0..<((m - 1) * residualStride + n)).map { _ in random() }
        var c = [Float](repeating: 12345, count: (m - 1) * ldc + n + guardCount)
        a.withUnsafeBufferPointer { a in
            packed.panels.withUnsafeBufferPointer { panels in
                bias.withUnsafeBufferPointer { bias in
                    residualValues.withUnsafeBufferPointer { residualValues in
                        c.withUnsafeMutableBufferPointer { c in
                            let epilogue = GEMMEpilogue(bias: bias.baseAddress!, residual: residual ? residualValues.baseAddress : nil,
                                                        residualStride: residualStride, activation: activation)
                            GEMM.multiply(rows: m, a: a.baseAddress!, lda: lda, b: panels.baseAddress!, packed: packed,
                                          c: c.baseAddress!, ldc: ldc, epilogue: epilogue, threads: threads)
                        }
                    }
                }
            }
        }
        var wrong = c.suffix(guardCount).filter { $0 != 12345 }.count
        for row in 0..<m {
            for column in 0..<ldc where row * ldc + column < c.count - guardCount {
                let value = c[row * ldc + column]
                if column >= n {
                    if value != 12345 { wrong += 1 }
                    continue
                }
                var sum = bias[column] + (residual ? residualValues[row * residualStride + column] : 0)
                for index in 0..<k { sum += a[row * lda + index] * b[index * n + column] }
                let expected = activation.apply(SIMD8(repeating: sum))[0]
                if abs(expected - value) > 1e-4 * max(1, abs(expected)) { wrong += 1 }
            }
        }
        return wrong
    }

    @Test("one thread: every column and row count the kernels split differently")
    func singleThread() {
        var generator = SeededGenerator(seed: 7)
        for n in [1, 7, 8, 9, 16, 17, 24, 31, 32, 33, 40, 48, 56, 72, 100, 144] {
            for m in [1, 5, 6, 7, 12, 13, 37] {
                for k in [1, 16] {
                    for residual in [false, true] {
                        for activation in Self.activations {
                            let wrong = mismatches(m: m, k: k, n: n, residual: residual, activation: activation, threads: 1,
                                                   padding: residual ? 1 : 3, generator: &generator)
                            #expect(wrong == 0, "m \(m) k \(k) n \(n) residual \(residual) \(activation)")
                        }
                    }
                }
            }
        }
    }

    @Test("several threads: split by row blocks and by panels")
    func severalThreads() {
        var generator = SeededGenerator(seed: 11)
        for n in [8, 24, 48, 144] {
            for m in [100, 2000] {
                let k = max(8, (1 << 21) / (m * n) + 1)
                for threads in [2, 3] {
                    let wrong = mismatches(m: m, k: k, n: n, residual: true, activation: .clip(lower: 0, upper: 6),
                                           threads: threads, padding: 2, generator: &generator)
                    #expect(wrong == 0, "m \(m) k \(k) n \(n) threads \(threads)")
                }
            }
        }
    }
}
