import InferenceCore
import InferenceGraph

/// Why the regressor could not be loaded or run. Each description is one line naming the file or tensor.
public enum FaceRegressionError: Error, Equatable, CustomStringConvertible {
    /// The sidecar or model file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The sidecar is not an `occlumesh-orn/1` description, or contradicts itself.
    case invalidSpecification(path: String, reason: String)
    /// The ONNX model's inputs or outputs do not match what the sidecar says.
    case modelMismatch(path: String, reason: String)
    /// The inference core rejected the model or a run.
    case inference(InferenceError)
    /// The crop handed to `regress` has the wrong size.
    case cropSizeMismatch(expected: Int, actual: Int)
    /// The network's outputs for this crop are not a face: not finite, or identity, translation or scale beyond
    /// what any face gives (a diverged or corrupt model). The crop is skipped; the regressor stays usable.
    case unusableOutput(String)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): cannot read (\(reason))"
        case .invalidSpecification(let path, let reason): "\(path): not a valid regressor sidecar: \(reason)"
        case .modelMismatch(let path, let reason): "\(path): model does not match its sidecar: \(reason)"
        case .inference(let error): "regressor: \(error)"
        case .cropSizeMismatch(let expected, let actual): "regressor: crop holds \(actual) values, expected \(expected)"
        case .unusableOutput(let reason): "regressor output unusable: \(reason)"
        }
    }
}
