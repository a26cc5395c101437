import ProcessorSupport

extension ProcessorCheck {
    /// Throws `InferenceError.unsupportedProcessor` when this CPU lacks what the kernels need. Called first by every
    /// way of loading a model, before any kernel code runs.
    static func verify() throws(InferenceError) {
        if !missingFeatures.isEmpty {
            throw .unsupportedProcessor(instructionSet: instructionSet, missing: missingFeatures)
        }
    }
}
