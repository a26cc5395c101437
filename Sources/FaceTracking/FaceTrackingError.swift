/// Why face detection could not be set up or its outputs not be used. Every case reads as one line.
public enum FaceTrackingError: Error, Equatable, CustomStringConvertible {
    /// The detector's JSON sidecar could not be read.
    case cannotReadSpecification(path: String, reason: String)
    /// The sidecar was read but is inconsistent (named in `reason`).
    case invalidSpecification(path: String, reason: String)
    /// The network's outputs do not have the sizes the sidecar promises.
    case outputSizeMismatch(output: String, expected: Int, actual: Int)

    /// One line naming the input and the cause.
    public var description: String {
        switch self {
        case .cannotReadSpecification(let path, let reason): "\(path): cannot read detector sidecar (\(reason))"
        case .invalidSpecification(let path, let reason): "\(path): invalid detector sidecar (\(reason))"
        case .outputSizeMismatch(let output, let expected, let actual): "detector output \(output): expected \(expected) values, got \(actual)"
        }
    }
}
