import InferenceCore
import Testing

/// `Model.multiplyAccumulateCount` is the network's own count, whatever steps the planner made of it: the benchmark's
/// GFLOP/s and MFLOP columns divide by it.
@Suite struct MultiplyAccumulateCountTests {
    /// A 59×47 map expanded 16 → 96, a 3×3 stride-2 depthwise layer to 30×24, projected 96 → 24: the planner fuses
    /// the first two into one step.
    @Test("a fused expansion and depthwise layer count as the two layers")
    func fusedLayersCountAsTheirParts() throws {
        let model = try Model(contentsOf: Fixtures.model("inverted_residual_fused_s2_odd"))
        let expansion = 59 * 47 * 16 * 96, depthwise = 30 * 24 * 96 * 9, projection = 30 * 24 * 96 * 24
        #expect(model.multiplyAccumulateCount == expansion + depthwise + projection)
    }
}
