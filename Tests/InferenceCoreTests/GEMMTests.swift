@testable import InferenceEngineAVX2
@testable import InferenceEngineAVX512
import Foundation
import InferenceCore
import InferenceGraph
import ProcessorSupport
import TestSupport
import Testing

/// One GEMM problem with its operands: C = act(A·B + bias [+ residual]) into a C with guard values.
struct GEMMProblem {
    enum Activation: CustomStringConvertible {
        case identity, clip, hardSwish, sigmoid
        func apply(_ value: Float) -> Float {
            switch self {
            case .identity: value
            case .clip: min(max(value, 0), 6)
            case .hardSwish: value * min(max(value / 6 + 0.5, 0), 1)
            case .sigmoid: 1 / (1 + Float(exp(Double(-value))))
            }
        }
        var description: String {
            switch self {
            case .identity: "identity"
            case .clip: "clip(0, 6)"
            case .hardSwish: "hard-swish"
            case .sigmoid: "sigmoid"
            }
        }
    }
    let m: Int, k: Int, n: Int, lda: Int, ldc: Int, residualStride: Int
    let a: [Float], b: [Float], bias: [Float], residual: [Float]?
    let activation: Activation
    static let guardValue: Float = 12345, guardCount = 32
}

/// Runs a `GEMMProblem` through one level's packing and kernels.
protocol GEMMLevel {
    static var level: KernelLevel { get }
    static func multiply(_ problem: GEMMProblem, threads: Int) -> [Float]
}

extension GEMMProblem.Activation {
    var avx2: InferenceEngineAVX2.Activation {
        switch self {
        case .identity: .identity
        case .clip: .clip(lower: 0, upper: 6)
        case .hardSwish: .hardSwish
        case .sigmoid: .sigmoid
        }
    }
    var avx512: InferenceEngineAVX512.Activation {
        switch self {
        case .identity: .identity
        case .clip: .clip(lower: 0, upper: 6)
        case .hardSwish: .hardSwish
        case .sigmoid: .sigmoid
        }
    }
}

enum AVX2GEMM: GEMMLevel {
    static let level = KernelLevel.avx2
    static func multiply(_ problem: GEMMProblem, threads: Int) -> [Float] {
        typealias Packed = InferenceEngineAVX2.PackedMatrix
        let packed = Packed(rows: problem.k, columns: problem.n) { row, column in problem.b[row * problem.n + column] }
        let bias = problem.bias + [Float](repeating: 0, count: Packed.roundedToPanel(problem.n) - problem.n)
        var c = [Float](repeating: GEMMProblem.guardValue, count: (problem.m - 1) * problem.ldc + problem.n + GEMMProblem.guardCount)
        let workers = threads > 1 ? WorkerPool(threads: threads) : nil
        workers?.beginRun()
        defer { workers?.endRun() }
        problem.a.withUnsafeBufferPointer { a in
            packed.panels.withUnsafeBufferPointer { panels in
                bias.withUnsafeBufferPointer { bias in
                    (problem.residual ?? [0]).withUnsafeBufferPointer { residual in
                        c.withUnsafeMutableBufferPointer { c in
                            let epilogue = InferenceEngineAVX2.GEMMEpilogue(
                                bias: bias.baseAddress!, residual: problem.residual == nil ? nil : residual.baseAddress,
                                residualStride: problem.residualStride, activation: problem.activation.avx2)
                            InferenceEngineAVX2.GEMM.multiply(rows: problem.m, a: a.baseAddress!, lda: problem.lda,
                                                              b: panels.baseAddress!, packed: packed, c: c.baseAddress!,
                                                              ldc: problem.ldc, epilogue: epilogue, workers: workers)
                        }
                    }
                }
            }
        }
        return c
    }
}

enum AVX512GEMM: GEMMLevel {
    static let level = KernelLevel.avx512
    static func multiply(_ problem: GEMMProblem, threads: Int) -> [Float] {
        typealias Packed = InferenceEngineAVX512.PackedMatrix
        let packed = Packed(rows: problem.k, columns: problem.n) { row, column in problem.b[row * problem.n + column] }
        let bias = problem.bias + [Float](repeating: 0, count: Packed.roundedToPanel(problem.n) - problem.n)
        var c = [Float](repeating: GEMMProblem.guardValue, count: (problem.m - 1) * problem.ldc + problem.n + GEMMProblem.guardCount)
        let workers = threads > 1 ? WorkerPool(threads: threads) : nil
        workers?.beginRun()
        defer { workers?.endRun() }
        problem.a.withUnsafeBufferPointer { a in
            packed.panels.withUnsafeBufferPointer { panels in
                bias.withUnsafeBufferPointer { bias in
                    (problem.residual ?? [0]).withUnsafeBufferPointer { residual in
                        c.withUnsafeMutableBufferPointer { c in
                            let epilogue = InferenceEngineAVX512.GEMMEpilogue(
                                bias: bias.baseAddress!, residual: problem.residual == nil ? nil : residual.baseAddress,
                                residualStride: problem.residualStride, activation: problem.activation.avx512)
                            InferenceEngineAVX512.GEMM.multiply(rows: problem.m, a: a.baseAddress!, lda: problem.lda,
                                                                b: panels.baseAddress!, packed: packed, c: c.baseAddress!,
                                                                ldc: problem.ldc, epilogue: epilogue, workers: workers)
                        }
                    }
                }
            }
        }
        return c
    }
}

/// The packed GEMM of each kernel level against a plain triple loop, over the shapes its kernels split differently:
/// column counts around the panel and tail widths of both levels, row counts around the 6-, 8- and 12-row blocks
/// and every short last block (1 to 7 rows), with and without a residual, the activations applied in registers (clip,
/// hard-swish) and one that is not (sigmoid), one and several threads, and guard values past the last column that
/// must survive.
@Suite struct GEMMTests {
    static let activations: [GEMMProblem.Activation] = [.identity, .clip, .hardSwish, .sigmoid]

    /// Runs one product at `level` and returns how many results differ from the reference (or guard values changed).
    static func mismatches<Level: GEMMLevel>(_ level: Level.Type, m: Int, k: Int, n: Int, residual: Bool,
                                             activation: GEMMProblem.Activation, threads: Int, padding: Int,
                                             generator: inout SeededGenerator) -> Int {
        func random() -> Float { Float.random(in: -1...1, using: &generator) }
        let lda = k + padding, ldc = n + padding, residualStride = n + 2 * padding + 1
        let problem = GEMMProblem(
            m: m, k: k, n: n, lda: lda, ldc: ldc, residualStride: residualStride,
            a: (0..<((m - 1) * lda + k)).map { _ in random() }, b: (0..<(k * n)).map { _ in random() },
            bias: (0..<n).map { _ in random() },
            residual: residual ? (0..<((m - 1) * residualStride + n)).map { _ in random() } : nil, activation: activation)
        let c = Level.multiply(problem, threads: threads)
        let guardCount = GEMMProblem.guardCount
        var wrong = c.suffix(guardCount).filter { $0 != GEMMProblem.guardValue }.count
        for row in 0..<m {
            for column in 0..<ldc where row * ldc + column < c.count - guardCount {
                let value = c[row * ldc + column]
                if column >= n {
                    if value != GEMMProblem.guardValue { wrong += 1 }
                    continue
                }
                var sum = problem.bias[column] + (problem.residual?[row * residualStride + column] ?? 0)
                for index in 0..<k { sum += problem.a[row * lda + index] * problem.b[index * n + column] }
                let expected = activation.apply(sum)
                if abs(expected - value) > 1e-4 * max(1, abs(expected)) { wrong += 1 }
            }
        }
        return wrong
    }

    static func singleThread<Level: GEMMLevel>(_ level: Level.Type) {
        var generator = SeededGenerator(seed: 7)
        for n in [1, 7, 8, 9, 16, 17, 24, 31, 32, 33, 40, 48, 56, 72, 100, 144] {
            for m in [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 37] {
                for k in [1, 16] {
                    for residual in [false, true] {
                        for activation in activations {
                            let wrong = mismatches(level, m: m, k: k, n: n, residual: residual, activation: activation,
                                                   threads: 1, padding: residual ? 1 : 3, generator: &generator)
                            #expect(wrong == 0, "\(Level.level.rawValue): m \(m) k \(k) n \(n) residual \(residual) \(activation)")
                        }
                    }
                }
            }
        }
    }

    static func severalThreads<Level: GEMMLevel>(_ level: Level.Type) {
        var generator = SeededGenerator(seed: 11)
        // With and without a tail panel (64 and 96 columns have none), split by rows and by panels.
        for n in [8, 24, 48, 64, 96, 144] {
            for m in [1, 49, 100, 2000] {
                let k = max(8, (1 << 18) / (m * n) + 1)
                for threads in [2, 3] {
                    let wrong = mismatches(level, m: m, k: k, n: n, residual: true, activation: .clip, threads: threads,
                                           padding: 2, generator: &generator)
                    #expect(wrong == 0, "\(Level.level.rawValue): m \(m) k \(k) n \(n) threads \(threads)")
                }
            }
        }
    }

    @Test("avx2 kernels, one thread: every column and row count the kernels split differently",
          .enabled(if: KernelLevels.avx2Runs, "this CPU lacks AVX2 + FMA"))
    func avx2SingleThread() { Self.singleThread(AVX2GEMM.self) }

    @Test("avx2 kernels, several threads: split by row blocks and by panels",
          .enabled(if: KernelLevels.avx2Runs, "this CPU lacks AVX2 + FMA"))
    func avx2SeveralThreads() { Self.severalThreads(AVX2GEMM.self) }

    @Test("avx512 kernels, one thread: every column and row count the kernels split differently",
          .enabled(if: KernelLevels.avx512Runs, "SKIPPED: this CPU lacks \(KernelLevels.avx512Missing) for the avx512 kernels"))
    func avx512SingleThread() { Self.singleThread(AVX512GEMM.self) }

    @Test("avx512 kernels, several threads: split by row blocks and by panels",
          .enabled(if: KernelLevels.avx512Runs, "SKIPPED: this CPU lacks \(KernelLevels.avx512Missing) for the avx512 kernels"))
    func avx512SeveralThreads() { Self.severalThreads(AVX512GEMM.self) }
}
