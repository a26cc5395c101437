import FaceRegression
import FaceTracking
import VideoIngest

/// The tracker's face check: runs the ORN regressor on a detection's crop (framed on the detector's box, as the
/// regression stage frames a new face) and returns its face score, the probability that the crop holds a face —
/// with `mirrored`, the mean of that crop's score and its mirror image's. The network is not mirror-symmetric, and
/// the two answers err apart: on the validation faces the mean keeps 550 of 559 heavily covered faces at 0.8 where
/// one pass keeps 547, and lets 22 of 1,363 black-banded background crops through where one pass lets 35.
/// Only for regressors with the sixth output `face`; one per tracking stage, not thread-safe.
public final class RegressorFaceVerifier: FaceVerifying {
    private let regressor: FaceRegressor
    /// Whether each score is the mean over the crop and its mirror image.
    public let mirrored: Bool
    /// Checks whose regressor outputs were no face's (`FaceRegressionError.unusableOutput`), scored 0.
    public private(set) var unusableOutputs = 0

    /// A verifier running `regressor` on crops cut as its sidecar's crop convention says; nil when the regressor has
    /// no face score.
    public init?(regressor: FaceRegressor, mirrored: Bool = true) {
        guard regressor.specification.hasFaceScore else { return nil }
        self.regressor = regressor
        self.mirrored = mirrored
    }

    /// The face score of `detection`'s crop in `frame` (with `mirrored`, the mean with its mirror image's; where
    /// only the mirror image's outputs are unusable, the crop's own score).
    public func faceScore(of detection: FaceDetection, in frame: VideoFrame) throws(FaceTrackingError) -> Float? {
        let region = regressor.specification.crop.framing.region(detection: detection.box)
        let transform = regressor.cropper.transform(for: region)
        guard let direct = try score(frame, transform) else {
            unusableOutputs += 1
            return 0   // outputs that are no face's: not a face
        }
        guard mirrored, let reflected = try score(frame, transform.mirrored(side: regressor.specification.crop.size))
        else { return direct }
        return (direct + reflected) / 2
    }

    /// The regressor's face score for the crop under `transform` (a verifier exists only for regressors that have
    /// one); nil when its outputs are no face's.
    private func score(_ frame: VideoFrame, _ transform: CropTransform) throws(FaceTrackingError) -> Float? {
        do {
            return try regressor.regress(frame, transform: transform).faceScore ?? 0
        } catch .unusableOutput {
            return nil
        } catch {
            throw .verificationFailed(reason: "\(error)")
        }
    }
}
