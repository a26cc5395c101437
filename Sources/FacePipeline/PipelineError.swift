import FaceModel
import FaceRegression
import FaceTracking

/// Why the pipeline could not start or had to stop. Each description is one line naming the file or stage.
public enum PipelineError: Error, CustomStringConvertible {
    /// A model file (detector, regressor, face model) could not be loaded.
    case modelUnavailable(path: String, reason: String)
    /// The regressor and the face model do not fit together (coefficient counts, expression names).
    case modelsDisagree(reason: String)
    /// The video source could not be opened or failed while reading.
    case source(input: String, reason: String)
    /// A stage failed on a frame.
    case stage(name: String, frame: Int, reason: String)
    /// The regressor's outputs for one face of a frame are not a face (not finite, or beyond any face's range):
    /// that face is skipped, the pipeline goes on.
    case unusableRegression(frame: Int, reason: String)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .modelUnavailable(let path, let reason): "cannot load \(path): \(reason)"
        case .modelsDisagree(let reason): "the regressor and the face model do not fit: \(reason)"
        case .source(let input, let reason): "video source \(input): \(reason)"
        case .stage(let name, let frame, let reason): "\(name) stage failed on frame \(frame): \(reason)"
        case .unusableRegression(let frame, let reason): "face skipped on frame \(frame): regressor output unusable: \(reason)"
        }
    }
}
