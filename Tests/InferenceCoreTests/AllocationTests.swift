import CMallocCounter
import Foundation
import InferenceCore
import InferenceGraph
import ProcessorSupport
import Testing

/// The arena is sized once at session creation: repeated one-thread runs allocate nothing on the heap, at each kernel
/// level, and a run reusing the arena computes what a fresh session computes. (With worker threads, each layer split
/// over them costs one small closure allocation: `withoutActuallyEscaping` boxes the layer's closure.)
@Suite struct AllocationTests {
    static let names = ["mobilenetv2_050_128", "blazeface_128", "concat_channels", "conv3x3_winograd_bands_residual_relu",
                        "conv3x3_winograd_odd_residual_relu", "inverted_residual_fused_s2_odd"]

    static func checkNoAllocation(_ name: String, kernels: KernelLevel, threads: Int) throws {
        let model = try Model(contentsOf: Fixtures.model(name), kernels: kernels)
        let session = model.makeSession(threads: threads)
        let inputs = try Fixtures.tensors(name, kind: "in")
        var outputs = session.makeOutputBuffers()
        try session.run(inputs: inputs, outputs: &outputs)   // warm-up
        let before = cmalloccounter_thread_allocations()
        for _ in 0..<5 { try session.run(inputs: inputs, outputs: &outputs) }
        let after = cmalloccounter_thread_allocations()
        #expect(after - before == 0, "\(name) (\(kernels.rawValue), \(threads) threads): \(after - before) allocations in 5 runs")
    }

    @Test("avx2 kernels: run performs no heap allocation", .enabled(if: KernelLevels.avx2Runs, "this CPU lacks AVX2 + FMA"),
          arguments: names, [1])
    func avx2RunDoesNotAllocate(_ name: String, threads: Int) throws {
        try Self.checkNoAllocation(name, kernels: .avx2, threads: threads)
    }

    @Test("avx512 kernels: run performs no heap allocation",
          .enabled(if: KernelLevels.avx512Runs, "SKIPPED: this CPU lacks \(KernelLevels.avx512Missing) for the avx512 kernels"),
          arguments: names, [1])
    func avx512RunDoesNotAllocate(_ name: String, threads: Int) throws {
        try Self.checkNoAllocation(name, kernels: .avx512, threads: threads)
    }

    /// The arena reuses input slots for intermediates, so a session must copy each run's inputs in again: a second
    /// run on other inputs must give what a fresh session gives on them.
    @Test("a run on a used arena equals a run on a fresh one")
    func usedArenaComputesLikeAFreshOne() throws {
        let name = "mobilenetv2_050_128"
        let model = try Model(contentsOf: Fixtures.model(name))
        let first = try Fixtures.tensors(name, kind: "in")
        let second = first.map { tensor in
            Tensor(shape: tensor.shape, elements: tensor.elements.enumerated().map { Float(($0.offset * 7919) % 255) / 127 - 1 })
        }
        let used = model.makeSession()
        _ = try used.run(inputs: first)
        let reused = try used.run(inputs: second)
        let fresh = try model.makeSession().run(inputs: second)
        #expect(reused == fresh)
        #expect(reused != (try used.run(inputs: first)))
    }

    @Test("the counter sees allocations")
    func counterCounts() {
        let before = cmalloccounter_thread_allocations()
        let array = (0..<1000).map { Float($0) }
        #expect(cmalloccounter_thread_allocations() > before)
        #expect(array.count == 1000)
    }
}
