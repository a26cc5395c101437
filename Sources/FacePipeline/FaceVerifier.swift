import FaceRegression
import FaceTracking
import VideoIngest

/// The tracker's face check: runs the ORN regressor on a detection's crop (framed on the detector's box, as the
/// regression stage frames a new face) and returns its face score, the probability that the crop holds a face.
/// Only for regressors with the sixth output `face`; one per tracking stage, not thread-safe.
public final class RegressorFaceVerifier: FaceVerifying {
    private let regressor: FaceRegressor
    /// Checks whose regressor outputs were no face's (`FaceRegressionError.unusableOutput`), scored 0.
    public private(set) var unusableOutputs = 0

    /// A verifier running `regressor` on crops cut as its sidecar's crop convention says; nil when the regressor has
    /// no face score.
    public init?(regressor: FaceRegressor) {
        guard regressor.specification.hasFaceScore else { return nil }
        self.regressor = regressor
    }

    /// The face score of `detection`'s crop in `frame`.
    public func faceScore(of detection: FaceDetection, in frame: VideoFrame) throws(FaceTrackingError) -> Float? {
        let region = regressor.specification.crop.framing.region(detection: detection.box)
        do {
            return try regressor.regress(frame, transform: regressor.cropper.transform(for: region)).faceScore
        } catch .unusableOutput {
            unusableOutputs += 1
            return 0   // outputs that are no face's: not a face
        } catch {
            throw .verificationFailed(reason: "\(error)")
        }
    }
}
