import InferenceCore
import Testing

/// The kernels are compiled for the build machine's instruction set; the check that guards a binary
/// carried to another CPU must pass where the tests were built and explain itself where it fails.
@Suite struct ProcessorCheckTests {
    @Test func buildMachineHasTheFeaturesTheKernelsUse() {
        #expect(ProcessorCheck.missingFeatures.isEmpty,
                "built for \(ProcessorCheck.instructionSet), missing \(ProcessorCheck.missingFeatures)")
    }

    @Test func refusalNamesTheInstructionSetAndTheWayOut() {
        let error = InferenceError.unsupportedProcessor(instructionSet: "AVX-512 (AMD Zen 4 level)", missing: ["avx512f"])
        #expect(error.description.contains("AVX-512"))
        #expect(error.description.contains("avx512f"))
        #expect(error.description.contains("OCCLUMESH_ISA=avx2"))
    }
}
