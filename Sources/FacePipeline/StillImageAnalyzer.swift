import FaceTracking
import VideoIngest

/// Faces in unrelated still images (photos, benchmark sets), one image at a time on the caller's thread.
///
/// Each face is cropped on its detector box (or a given box), regressed, then cropped again on the landmarks of
/// that first pass, framed as the regressor's training crops are, and regressed once more; with
/// `PipelineSettings.mirrorAverageStills` (the default) both passes average the crop's and its mirror image's
/// answers. Nothing is smoothed across images.
public final class StillImageAnalyzer {
    private let tracking: TrackingStage
    private let regression: RegressionStage
    private let mesh: MeshStage
    /// The shared models.
    public let models: PipelineModels

    /// Loads the detector, the regressor and the face model.
    public init(settings: PipelineSettings, models: PipelineModels) throws(PipelineError) {
        self.models = models
        tracking = try TrackingStage(settings: settings, models: models)
        var stillSettings = settings
        stillSettings.mirrorAverage = settings.mirrorAverage || settings.mirrorAverageStills
        regression = try RegressionStage(settings: stillSettings, model: models.model)
        mesh = MeshStage(model: models.model, settings: settings.smoothing)
    }

    /// The faces of `frame`: those the detector finds, or one per box in `boxes` (image pixels) when given.
    public func analyze(_ frame: VideoFrame, boxes: [BoundingBox]? = nil) throws(PipelineError) -> ProcessedFrame {
        var tracked: TrackedFrame
        if let boxes {
            let framing = models.convention.framing
            tracked = TrackedFrame(frame: frame, faces: boxes.enumerated().map { offset, box in
                TrackedFace(track: offset + 1, confidence: 1, box: box, region: framing.region(detection: box))
            })
        } else {
            tracked = try tracking.detectStill(frame)
        }
        var faces: [RegressedImageFace] = []
        var rejected = tracked.rejectedFaces
        for face in tracked.faces {
            do {
                let (first, firstLandmarks) = try regression.regress(frame, region: face.region)
                let refined = models.convention.framing.region(landmarks: firstLandmarks) ?? face.region
                var (regressed, _) = try regression.regress(frame, region: refined)
                regressed.faceScore = first.faceScore
                faces.append(RegressedImageFace(tracked: face, face: regressed))
            } catch .unusableRegression {
                rejected += 1   // no face's outputs: the image is reported without it
            }
        }
        return try mesh.process(RegressedFrame(index: frame.index, presentationTime: frame.presentationTime,
                                               captureTime: frame.captureTime, faces: faces, rejectedFaces: rejected),
                                smooth: false)
    }
}
