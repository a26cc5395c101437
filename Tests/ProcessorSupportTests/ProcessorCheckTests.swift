import ProcessorSupport
import Testing

/// The kernels are compiled for the build machine's instruction set; the check that guards a binary carried to
/// another CPU must pass where the tests were built.
@Suite struct ProcessorCheckTests {
    @Test func buildMachineHasTheFeaturesTheKernelsUse() {
        #expect(!ProcessorCheck.requiredFeatures.isEmpty)
        #expect(ProcessorCheck.missingFeatures.isEmpty,
                "built for \(ProcessorCheck.instructionSet), missing \(ProcessorCheck.missingFeatures)")
    }
}
