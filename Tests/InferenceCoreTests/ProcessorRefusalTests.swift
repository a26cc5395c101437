import InferenceCore
import Testing

/// A model refused on a CPU without the kernels' instruction set says which features are missing and how to rebuild.
@Suite struct ProcessorRefusalTests {
    @Test func refusalNamesTheInstructionSetAndTheWayOut() {
        let error = InferenceError.unsupportedProcessor(instructionSet: "AVX-512 (AMD Zen 4 level)", missing: ["avx512f"])
        #expect(error.description.contains("AVX-512"))
        #expect(error.description.contains("avx512f"))
        #expect(error.description.contains("OCCLUMESH_ISA=avx2"))
    }
}
