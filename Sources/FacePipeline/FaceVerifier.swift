import FaceRegression
import FaceTracking
import VideoIngest

/// The tracker's face check: runs the ORN regressor on a detection's crop (framed on the detector's box, as the
/// regression stage frames a new face) and returns its face score, the probability that the crop holds a face —
/// with `mirrored`, the mean of that crop's score and its mirror image's. The network is not mirror-symmetric, and
/// the two answers err apart: on the validation faces the mean keeps 550 of 559 heavily covered faces at 0.8 where
/// one pass keeps 547, and lets 22 of 1,363 black-banded background crops through where one pass lets 35.
/// With `reframing`, a detection scoring below its threshold gets a second look (`Reframing`).
/// Only for regressors with the sixth output `face`; one per tracking stage, not thread-safe.
public final class RegressorFaceVerifier: FaceVerifying {
    /// The second look for a detection whose crop fails: the regressor's landmarks in that crop frame a new crop
    /// (the landmarks framing a tracked face's next crop gets), which is scored the same way; the detection takes
    /// that score when it reaches `passing`, and keeps its first otherwise. A detector box off a covered face's
    /// centre, or too large or small for it, gives a crop unlike the training crops, and the face in it may score
    /// low; the regressor still places the face, and the crop on its landmarks is framed as training framed faces.
    /// The first crop's one pass goes through the stage, which reads its landmarks out too; a detection that fails
    /// costs two regressor runs more (one without the mirrored score).
    public struct Reframing {
        /// Regresses the first crop in one pass, with its 68 landmarks (without mirror averaging); the verifier
        /// runs its regressor.
        let stage: RegressionStage
        /// The framing of a crop on a landmark box.
        let framing: CropFramings
        /// Scores at or above this need no second look (the tracker's `minimumFaceScore`).
        let threshold: Float
        /// The score the second look must reach to count. Two looks give background two chances, so this may be
        /// stricter than `threshold`; below `threshold` it would count a look that the tracker then refuses.
        let passing: Float

        /// A second look with `stage`'s landmarks, framed by `framing`, for scores below `threshold`, counting when
        /// it reaches `passing` (nil: `threshold`; a value below `threshold` counts as `threshold`).
        public init(stage: RegressionStage, framing: CropFramings, threshold: Float, passing: Float? = nil) {
            self.stage = stage
            self.framing = framing
            self.threshold = threshold
            self.passing = max(threshold, passing ?? threshold)
        }

        /// The one-pass face score of the crop of `region` and the landmarks regressed in it; nil when the
        /// regressor's outputs are no face's.
        func look(_ frame: VideoFrame, _ region: CropRegion) throws(FaceTrackingError) -> (score: Float, landmarks: [SIMD2<Float>])? {
            do {
                let (face, landmarks) = try stage.regress(frame, region: region)
                return (face.faceScore ?? 0, landmarks)
            } catch .unusableRegression {
                return nil
            } catch {
                throw .verificationFailed(reason: "\(error)")
            }
        }
    }

    private let regressor: FaceRegressor
    /// Whether each score is the mean over the crop and its mirror image.
    public let mirrored: Bool
    /// The second look for detections that fail; nil for none.
    public let reframing: Reframing?
    /// Checks whose regressor outputs were no face's (`FaceRegressionError.unusableOutput`), scored 0.
    public private(set) var unusableOutputs = 0
    /// Detections given a second look (`reframing`), and those of them that passed on it.
    public private(set) var secondLooks = 0, reframedPasses = 0

    /// A verifier running `regressor` on crops cut as its sidecar's crop convention says; nil when the regressor has
    /// no face score.
    public init?(regressor: FaceRegressor, mirrored: Bool = true) {
        guard regressor.specification.hasFaceScore else { return nil }
        self.regressor = regressor
        self.mirrored = mirrored
        reframing = nil
    }

    /// A verifier that gives detections which fail a second look, running `reframing`'s stage's regressor.
    public init?(reframing: Reframing, mirrored: Bool = true) {
        guard reframing.stage.regressor.specification.hasFaceScore else { return nil }
        regressor = reframing.stage.regressor
        self.mirrored = mirrored
        self.reframing = reframing
    }

    /// The face score of `detection`'s crop in `frame` (with `mirrored`, the mean with its mirror image's; where
    /// only the mirror image's outputs are unusable, the crop's own score); with `reframing` and a score below its
    /// threshold, the score of the crop framed on the landmarks regressed in it where that reaches its `passing`.
    public func faceScore(of detection: FaceDetection, in frame: VideoFrame) throws(FaceTrackingError) -> Float? {
        let region = regressor.specification.crop.framing.region(detection: detection.box)
        let transform = regressor.cropper.transform(for: region)
        var landmarks: [SIMD2<Float>]?
        let direct: Float?
        if let reframing {
            let look = try reframing.look(frame, region)
            direct = look?.score
            landmarks = look?.landmarks
        } else {
            direct = try score(frame, transform)
        }
        guard let direct else {
            unusableOutputs += 1
            return 0   // outputs that are no face's: not a face
        }
        let first = try withMirror(direct, frame, transform)
        guard let reframing, let landmarks, first < reframing.threshold else { return first }
        secondLooks += 1
        guard let framed = reframing.framing.region(landmarks: landmarks),
              let second = try score(frame, framed), second >= reframing.passing else { return first }
        reframedPasses += 1
        return second
    }

    /// The face score of the crop of `region` (with `mirrored`, the mean with its mirror image's); nil when the
    /// crop's own outputs are no face's.
    private func score(_ frame: VideoFrame, _ region: CropRegion) throws(FaceTrackingError) -> Float? {
        let transform = regressor.cropper.transform(for: region)
        guard let direct = try score(frame, transform) else { return nil }
        return try withMirror(direct, frame, transform)
    }

    /// `direct`, the score of the crop under `transform`; with `mirrored`, its mean with the mirror image's (where
    /// that one's outputs are unusable, `direct` alone).
    private func withMirror(_ direct: Float, _ frame: VideoFrame, _ transform: CropTransform) throws(FaceTrackingError) -> Float {
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
