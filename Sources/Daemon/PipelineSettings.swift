import DaemonConfiguration
import FaceTracking

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

    /// Settings from their parts.
    public init(regressorPath: String, regressorSidecarPath: String, faceModelPath: String, detectorSidecarPath: String,
                maximumFaces: Int = 4, tracker: TrackerConfiguration = TrackerConfiguration(), minimumDetectionScore: Float = 0.5,
                smoothing: SmoothingSettings = SmoothingSettings(), realtime: Bool = false, followLandmarks: Bool = false) {
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
    }

    /// The settings the daemon config asks for.
    public init(_ configuration: DaemonConfiguration) {
        let tracking = configuration.tracking
        self.init(
            regressorPath: configuration.model.regressor, regressorSidecarPath: configuration.model.regressorSidecar,
            faceModelPath: configuration.model.faceModel, detectorSidecarPath: configuration.model.detector,
            maximumFaces: tracking.maximumFaces,
            tracker: TrackerConfiguration(detectionInterval: tracking.detectorInterval, maximumUnseenFrames: tracking.trackLossFrames,
                                          minimumConfidence: Float(tracking.minimumVisibility),
                                          minimumNewFaceScore: Float(tracking.minimumNewFaceScore)),
            minimumDetectionScore: Float(tracking.minimumConfidence),
            smoothing: SmoothingSettings(configuration.smoothing), realtime: configuration.source.realtime,
            followLandmarks: tracking.followLandmarks)
    }
}

extension SmoothingSettings {
    /// The filters the config's `[smoothing.*]` tables describe.
    public init(_ smoothing: DaemonConfiguration.Smoothing) {
        func oneEuro(_ settings: DaemonConfiguration.OneEuro) -> OneEuroSettings {
            OneEuroSettings(minimumCutoff: Float(settings.minimumCutoff), beta: Float(settings.beta),
                            derivativeCutoff: Float(settings.derivativeCutoff))
        }
        let identity = smoothing.identity
        self.init(expression: oneEuro(smoothing.expression), translation: oneEuro(smoothing.translation),
                  rotation: oneEuro(smoothing.rotation),
                  identity: IdentitySettings(occludedWeight: Float(identity.occludedWeight),
                                             occlusionThreshold: Float(identity.occlusionThreshold),
                                             maximumWeight: Float(identity.maximumWeight)))
    }
}
