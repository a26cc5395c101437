/// Why face detection, cropping or tracking could not be set up or its outputs not be used. Every case reads as one line.
public enum FaceTrackingError: Error, Equatable, CustomStringConvertible {
    /// The detector's JSON sidecar could not be read.
    case cannotReadSpecification(path: String, reason: String)
    /// The sidecar was read but is inconsistent (named in `reason`).
    case invalidSpecification(path: String, reason: String)
    /// The network's outputs do not have the sizes the sidecar promises.
    case outputSizeMismatch(output: String, expected: Int, actual: Int)
    /// The detector's ONNX file could not be loaded or compiled by InferenceCore.
    case cannotLoadNetwork(path: String, reason: String)
    /// The network does not have the inputs or outputs its sidecar names.
    case networkMismatch(path: String, reason: String)
    /// Running the network failed.
    case inferenceFailed(reason: String)
    /// A frame's pixel layout or size cannot be used.
    case unsupportedFrame(reason: String)
    /// Tracker settings that cannot work together.
    case invalidTrackerConfiguration(reason: String)
    /// The face check of a new detection (the regressor run on its crop) failed.
    case verificationFailed(reason: String)

    /// One line naming the input and the cause.
    public var description: String {
        switch self {
        case .cannotReadSpecification(let path, let reason): "\(path): cannot read detector sidecar (\(reason))"
        case .invalidSpecification(let path, let reason): "\(path): invalid detector sidecar (\(reason))"
        case .outputSizeMismatch(let output, let expected, let actual): "detector output \(output): expected \(expected) values, got \(actual)"
        case .cannotLoadNetwork(let path, let reason): "\(path): cannot load detector network (\(reason))"
        case .networkMismatch(let path, let reason): "\(path): network does not match its sidecar (\(reason))"
        case .inferenceFailed(let reason): "detector inference failed (\(reason))"
        case .unsupportedFrame(let reason): "unsupported frame (\(reason))"
        case .invalidTrackerConfiguration(let reason): "invalid tracker configuration (\(reason))"
        case .verificationFailed(let reason): "face check of a new detection failed (\(reason))"
        }
    }
}
