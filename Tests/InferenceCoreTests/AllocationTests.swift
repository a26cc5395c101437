import CMallocCounter
import Foundation
import InferenceCore
import Testing

/// The arena is sized once at session creation: repeated runs allocate nothing on the heap.
@Suite struct AllocationTests {
    @Test("run performs no heap allocation", arguments: ["mobilenetv2_050_128", "blazeface_128", "concat_channels"])
    func runDoesNotAllocate(_ name: String) throws {
        let model = try Model(contentsOf: Fixtures.model(name))
        let session = model.makeSession()
        let inputs = try Fixtures.tensors(name, kind: "in")
        var outputs = session.makeOutputBuffers()
        try session.run(inputs: inputs, outputs: &outputs)   // warm-up
        let arena = session.arenaAddress
        let before = cmalloccounter_thread_allocations()
        for _ in 0..<5 { try session.run(inputs: inputs, outputs: &outputs) }
        let after = cmalloccounter_thread_allocations()
        #expect(after - before == 0, "\(name): \(after - before) allocations in 5 runs")
        #expect(session.arenaAddress == arena)
    }

    @Test("the counter sees allocations")
    func counterCounts() {
        let before = cmalloccounter_thread_allocations()
        let array = (0..<1000).map { Float($0) }
        #expect(cmalloccounter_thread_allocations() > before)
        #expect(array.count == 1000)
    }
}
