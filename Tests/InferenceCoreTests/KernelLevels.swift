import InferenceCore
import ProcessorSupport

/// Whether this CPU runs each kernel level. Tests of a level the CPU lacks are skipped with a message saying so
/// (Swift Testing prints the comment of a disabled test), never silently.
enum KernelLevels {
    static let avx512Missing = ProcessorFeatures.current.missing(for: .avx512)
    static let avx512Runs = avx512Missing.isEmpty
    static let avx2Runs = ProcessorFeatures.current.supports(.avx2)
}
