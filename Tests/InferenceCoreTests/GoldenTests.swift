import Foundation
import InferenceCore
import ProcessorSupport
import Testing

/// Per-index results written from concurrent iterations (each index by one iteration only).
final class ResultBox: @unchecked Sendable {
    private var values: [Float]
    private let lock = NSLock()
    init(count: Int) { values = [Float](repeating: .nan, count: count) }
    func set(_ index: Int, _ value: Float) { lock.lock(); values[index] = value; lock.unlock() }
    func get(_ index: Int) -> Float { lock.lock(); defer { lock.unlock() }; return values[index] }
}

/// Every fixture model, run through InferenceCore at each kernel level, must match onnxruntime's recorded outputs
/// to within 1e-4 of the output's scale.
@Suite struct GoldenTests {
    @Test("fixtures exist") func fixturesExist() {
        #expect(Fixtures.names.count >= 50)
        #expect(Fixtures.names.contains("mobilenetv2_050_128"))
        #expect(Fixtures.names.contains("blazeface_128"))
    }

    static func check(_ name: String, kernels: KernelLevel, threads: Int = 1) throws {
        let model = try Model(contentsOf: Fixtures.model(name), kernels: kernels)
        #expect(model.kernels == kernels)
        let inputs = try Fixtures.tensors(name, kind: "in")
        let expected = try Fixtures.tensors(name, kind: "out")
        let outputs = try model.makeSession(threads: threads).run(inputs: inputs)
        #expect(outputs.count == expected.count)
        for (actual, reference) in zip(outputs, expected) {
            #expect(actual.shape == reference.shape, "\(name) output shape")
            guard actual.shape == reference.shape else { continue }
            let error = Fixtures.relativeError(actual, reference)
            #expect(error <= 1e-4, "\(name) (\(kernels.rawValue), \(threads) threads): relative error \(error)")
        }
    }

    @Test("avx2 kernels match onnxruntime", .enabled(if: KernelLevels.avx2Runs, "this CPU lacks AVX2 + FMA"),
          arguments: Fixtures.names)
    func avx2MatchesOnnxRuntime(_ name: String) throws { try Self.check(name, kernels: .avx2) }

    @Test("avx512 kernels match onnxruntime",
          .enabled(if: KernelLevels.avx512Runs, "SKIPPED: this CPU lacks \(KernelLevels.avx512Missing) for the avx512 kernels"),
          arguments: Fixtures.names)
    func avx512MatchesOnnxRuntime(_ name: String) throws { try Self.check(name, kernels: .avx512) }

    @Test("the process's own kernels match onnxruntime with 2 and 3 threads", arguments: Fixtures.names)
    func threadsMatchOnnxRuntime(_ name: String) throws {
        let level = try ProcessorCheck.selection.get()
        try Self.check(name, kernels: level, threads: 2)
        try Self.check(name, kernels: level, threads: 3)
    }

    @Test("two sessions of two models run at the same time")
    func concurrentSessions() throws {
        let names = ["mobilenetv2_050_128", "blazeface_128"]
        let sessions = try names.map { try Model(contentsOf: Fixtures.model($0)).makeSession() }
        let inputs = try names.map { try Fixtures.tensors($0, kind: "in") }
        let expected = try names.map { try Fixtures.tensors($0, kind: "out") }
        let results = ResultBox(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            var worst: Float = 0
            for _ in 0..<20 {
                guard let outputs = try? sessions[index].run(inputs: inputs[index]) else { worst = .infinity; break }
                for (actual, reference) in zip(outputs, expected[index]) {
                    worst = max(worst, Fixtures.relativeError(actual, reference))
                }
            }
            results.set(index, worst)
        }
        for index in names.indices { #expect(results.get(index) <= 1e-4, "\(names[index])") }
    }

    @Test("two threads give the same results as one")
    func threadsAgree() throws {
        let name = "mobilenetv2_050_128"
        let model = try Model(contentsOf: Fixtures.model(name))
        let inputs = try Fixtures.tensors(name, kind: "in")
        let single = try model.makeSession(threads: 1).run(inputs: inputs)
        let session = model.makeSession(threads: 2)
        for _ in 0..<10 {
            let double = try session.run(inputs: inputs)
            #expect(Fixtures.relativeError(double[0], single[0]) <= 1e-6)
        }
    }
}
