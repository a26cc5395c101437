import DaemonConfiguration
import FaceSmoothing
import FaceTracking
import Foundation

/// What the pipeline is built from: model files, tracking and smoothing settings, and how frames flow.
public struct PipelineSettings: Sendable {
    /// The regressor network (ONNX).
    public var regressorPath: String
    /// The regressor's sidecar (JSON): crop convention and output layout.
    public var regressorSidecarPath: String
    /// The morphable face model file.
    public var faceModelPath: String
    /// The detector's sidecar (JSON); the network it names lies beside it.
    public var detectorSidecarPath: String
    /// The full-range detector's sidecar, tried where the detector finds nothing (`tracker.fallbackInterval`);
    /// nil for none.
    public var fallbackDetectorSidecarPath: String?
    /// Most faces analysed per frame.
    public var maximumFaces: Int
    /// Detector schedule, track loss and matching.
    public var tracker: TrackerConfiguration
    /// Detections scoring below this are ignored.
    public var minimumDetectionScore: Float
    /// The per-track filters.
    public var smoothing: SmoothingSettings
    /// Files only: play at the file's own pace instead of as fast as possible.
    public var realtime: Bool
    /// Frame each face's next crop on its regressed landmarks (true) or on its last detector box (false).
    public var followLandmarks: Bool
    /// Whether the per-track filters run (false: every frame as regressed, for measuring the filters' lag).
    public var smoothingEnabled: Bool
    /// Regress each face from its crop and from the crop's mirror image and average the two (`MirrorAveraging`):
    /// closer landmarks under occlusion for twice the regressor's time.
    public var mirrorAverage: Bool
    /// Mirror-average the faces of still images (`StillImageAnalyzer`) whatever `mirrorAverage` says: a still is
    /// not paced by a camera, so the second regressor run costs only time per image.
    public var mirrorAverageStills: Bool
    /// Score a new detection by the mean of its crop's face score and its mirrored crop's (`RegressorFaceVerifier`).
    public var mirrorFaceScore: Bool
    /// Give a new detection that fails the face score a second look on a crop framed on its regressed landmarks
    /// (`RegressorFaceVerifier.Reframing`).
    public var reframeFaceScore: Bool
    /// The score that second look must reach to count (`RegressorFaceVerifier.Reframing.passing`; below the tracker's
    /// `minimumFaceScore`, that).
    public var reframeMinimumFaceScore: Float

    /// Settings from their parts.
    public init(regressorPath: String, regressorSidecarPath: String, faceModelPath: String, detectorSidecarPath: String,
                maximumFaces: Int = 4, tracker: TrackerConfiguration = TrackerConfiguration(), minimumDetectionScore: Float = 0.5,
                smoothing: SmoothingSettings = SmoothingSettings(), realtime: Bool = false, followLandmarks: Bool = false,
                fallbackDetectorSidecarPath: String? = nil, smoothingEnabled: Bool = true, mirrorAverage: Bool = false,
                mirrorAverageStills: Bool = true, mirrorFaceScore: Bool = true, reframeFaceScore: Bool = false,
                reframeMinimumFaceScore: Float = 0) {
        self.regressorPath = regressorPath
        self.regressorSidecarPath = regressorSidecarPath
        self.faceModelPath = faceModelPath
        self.detectorSidecarPath = detectorSidecarPath
        self.maximumFaces = maximumFaces
        self.tracker = tracker
        self.minimumDetectionScore = minimumDetectionScore
        self.smoothing = smoothing
        self.realtime = realtime
        self.followLandmarks = followLandmarks
        self.fallbackDetectorSidecarPath = fallbackDetectorSidecarPath
        self.smoothingEnabled = smoothingEnabled
        self.mirrorAverage = mirrorAverage
        self.mirrorAverageStills = mirrorAverageStills
        self.mirrorFaceScore = mirrorFaceScore
        self.reframeFaceScore = reframeFaceScore
        self.reframeMinimumFaceScore = reframeMinimumFaceScore
    }

    /// The settings the daemon config asks for.
    public init(_ configuration: DaemonConfiguration) {
        let tracking = configuration.tracking
        self.init(
            regressorPath: configuration.model.regressor, regressorSidecarPath: configuration.model.regressorSidecar,
            faceModelPath: configuration.model.faceModel, detectorSidecarPath: configuration.model.detector,
            maximumFaces: tracking.maximumFaces,
            tracker: TrackerConfiguration(tracking),
            minimumDetectionScore: Float(tracking.minimumConfidence),
            smoothing: SmoothingSettings(configuration.smoothing), realtime: configuration.source.realtime,
            followLandmarks: tracking.followLandmarks,
            fallbackDetectorSidecarPath: configuration.model.fullRangeDetectorPath,
            mirrorAverage: configuration.model.mirrorAverage,
            mirrorAverageStills: configuration.model.mirrorAverageStills, mirrorFaceScore: tracking.mirrorFaceScore,
            reframeFaceScore: tracking.reframeFaceScore,
            reframeMinimumFaceScore: Float(tracking.reframeMinimumFaceScore))
    }
}

extension PipelineSettings {
    /// Settings for the model files in `folder` (orn.onnx + orn.json, ict-face-model.ocfm, the short-range detector,
    /// and the config's `full_range_detector` resolved beside it where that file exists), with the tracking,
    /// smoothing and model switches of `configuration` (not its source's pace): what the offline commands run, so
    /// that a config measured with them, or the defaults, mean what they mean to the daemon.
    public init(_ configuration: DaemonConfiguration, modelFolder folder: String) {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        var configuration = configuration
        configuration.model.regressor = path("orn.onnx")
        configuration.model.faceModel = path("ict-face-model.ocfm")
        configuration.model.detector = path("face_detection_short_range.json")
        self.init(configuration)
        if let fullRange = fallbackDetectorSidecarPath, !FileManager.default.fileExists(atPath: fullRange) {
            fallbackDetectorSidecarPath = nil
        }
        realtime = false
    }
}

extension TrackerConfiguration {
    /// The tracker the config's `[tracking]` table describes.
    public init(_ tracking: DaemonConfiguration.Tracking) {
        self.init(detectionInterval: tracking.detectorInterval, maximumUnseenFrames: tracking.trackLossFrames,
                  minimumConfidence: Float(tracking.minimumVisibility), minimumNewFaceScore: Float(tracking.minimumNewFaceScore),
                  instantNewFaceScore: Float(tracking.instantNewFaceScore), minimumFaceScore: Float(tracking.minimumFaceScore),
                  lostFaceScore: Float(tracking.lostFaceScore), fallbackInterval: tracking.fullRangeInterval,
                  tiledLook: tracking.tiledLook, tiledMinimumFaceScore: Float(tracking.tiledMinimumFaceScore),
                  tileGrid: tracking.tileGrid)
    }
}

extension SmoothingSettings {
    /// The filters the config's `[smoothing.*]` tables describe.
    public init(_ smoothing: DaemonConfiguration.Smoothing) {
        func oneEuro(_ settings: DaemonConfiguration.OneEuro) -> OneEuroSettings {
            OneEuroSettings(minimumCutoff: Float(settings.minimumCutoff), beta: Float(settings.beta),
                            derivativeCutoff: Float(settings.derivativeCutoff), prediction: Float(settings.prediction))
        }
        let identity = smoothing.identity
        self.init(expression: oneEuro(smoothing.expression), translation: oneEuro(smoothing.translation),
                  rotation: oneEuro(smoothing.rotation),
                  identity: IdentitySettings(occludedWeight: Float(identity.occludedWeight),
                                             occlusionThreshold: Float(identity.occlusionThreshold),
                                             maximumWeight: Float(identity.maximumWeight)),
                  lookaheadFrames: smoothing.files.lookaheadFrames,
                  motionGuidance: smoothing.motion.guided
                      ? MotionGuidance(correction: Float(smoothing.motion.correction),
                                       rotationCorrection: Float(smoothing.motion.rotationCorrection), averagedSteps: smoothing.motion.averagedSteps,
                                       fallbackCorrection: Float(smoothing.motion.fallbackCorrection), gain: Float(smoothing.motion.gain))
                      : nil)
    }
}
