import FaceModel

/// Tunable settings of per-track smoothing (meant to be read from the daemon's config).
public struct SmoothingSettings: Sendable, Equatable, Codable {
    /// Expression weights (0…1, normalised by `expressionScale`). Default `defaultExpression`.
    public var expression: OneEuroSettings
    /// Translation and scale (normalised by the face's size in pixels). Default `defaultTranslation`.
    public var translation: OneEuroSettings
    /// Rotation, filtered on the quaternion sphere (speed in radians per second).
    public var rotation: OneEuroSettings
    /// Identity averaging.
    public var identity: IdentitySettings
    /// The "face size" expression speeds are divided by; weights span 0…1, so 1.
    public var expressionScale: Float
    /// Sources that can wait for later frames (files read as fast as possible): frames on each side of a frame that
    /// its centred, zero-phase window averages (`CentredWindowSmoother`) in place of the causal filters above; 0
    /// keeps the filters. Default `defaultLookaheadFrames`. Live sources and paced files always use the filters.
    public var lookaheadFrames: Int

    /// Lookahead default: 4 frames (Gaussian σ 1.6 frames). On the three clips (tools/measure-lag.py) the daemon's
    /// landmarks keep 0.228 / 0.258 / 0.051 % jitter and at most 0.03 frames of lag, against the filters' 0.345 /
    /// 0.443 / 0.086 % and 1.59 / 1.09 / 2.71 frames (docs/face-tracking.md, "Lag and jitter").
    public static let defaultLookaheadFrames = 4

    /// Expression default: MediaPipe's face settings tuned (β 80 → 10, derivative cutoff 1 → 1.5 Hz) because
    /// expression noise (0.015–0.02 of the 0…1 range per frame) is larger relative to its scale than
    /// landmark noise. Measured by FaceTrackingTests (ten noise draws): ≥ 71 % less jitter, ≤ 1 frame lag on
    /// 0.4–0.5 steps; MediaPipe's settings cut the same jitter by as little as 32 %.
    public static let defaultExpression = OneEuroSettings(minimumCutoff: 0.05, beta: 10, derivativeCutoff: 1.5)
    /// Translation default: MediaPipe's face settings with β 80 → 30, for noise of 0.5–0.75 % of the face
    /// size per frame. Measured (ten noise draws): ≥ 73 % less jitter, ≤ 1 frame lag on steps of 15–30 % of the face.
    public static let defaultTranslation = OneEuroSettings(minimumCutoff: 0.05, beta: 30, derivativeCutoff: 1)

    /// Settings from their parts; every default is documented on its property.
    public init(expression: OneEuroSettings = SmoothingSettings.defaultExpression,
                translation: OneEuroSettings = SmoothingSettings.defaultTranslation,
                rotation: OneEuroSettings = RotationFilter.defaultSettings, identity: IdentitySettings = IdentitySettings(),
                expressionScale: Float = 1, lookaheadFrames: Int = SmoothingSettings.defaultLookaheadFrames) {
        self.expression = expression
        self.translation = translation
        self.rotation = rotation
        self.identity = identity
        self.expressionScale = expressionScale
        self.lookaheadFrames = lookaheadFrames
    }
}

/// What the regressor says about one face in one frame, in the form the mesh builder takes.
public struct FaceParameters: Sendable, Equatable {
    /// Identity coefficients α (FaceModel's identity modes).
    public var identity: [Float]
    /// Expression weights β (FaceModel's blendshapes).
    public var expression: [Float]
    /// Rotation, translation (pixels) and scale (pixels per centimetre).
    public var pose: FacePose

    /// Parameters from their parts.
    public init(identity: [Float], expression: [Float], pose: FacePose) {
        self.identity = identity
        self.expression = expression
        self.pose = pose
    }
}

/// The temporal smoothing of one track: identity converges to one estimate; expressions and translation go through
/// scale-normalised One Euro filters and rotation through the quaternion filter (`smooth`, every source), or, where
/// the caller can wait `lookaheadFrames` frames (files), all three through a centred window (`record`, then
/// `centred`). The filters allocate nothing per frame once made.
public struct FaceSmoother: Sendable {
    /// The settings in use.
    public private(set) var settings: SmoothingSettings
    private var identity: IdentityEstimator
    private var expression: OneEuroFilter
    private var translation: OneEuroFilter
    private var scale: OneEuroFilter
    private var rotation: RotationFilter
    private var window: CentredWindowSmoother
    private var translationBuffer: [Float] = [0, 0, 0]
    private var scaleBuffer: [Float] = [0]

    /// A smoother for a model with these coefficient counts.
    public init(identityCount: Int, expressionCount: Int, settings: SmoothingSettings = SmoothingSettings()) {
        self.settings = settings
        identity = IdentityEstimator(dimension: identityCount, settings: settings.identity)
        expression = OneEuroFilter(dimension: expressionCount, settings: settings.expression)
        translation = OneEuroFilter(dimension: 3, settings: settings.translation)
        scale = OneEuroFilter(dimension: 1, settings: settings.translation)
        rotation = RotationFilter(settings: settings.rotation)
        window = CentredWindowSmoother(halfWidth: settings.lookaheadFrames)
    }

    /// Changes the settings; the history is kept.
    public mutating func update(settings: SmoothingSettings) {
        self.settings = settings
        identity.settings = settings.identity
        expression.settings = settings.expression
        translation.settings = settings.translation
        scale.settings = settings.translation
        rotation.settings = settings.rotation
        window.halfWidth = max(settings.lookaheadFrames, 0)
    }

    /// Smooths `parameters` (one frame at `time` seconds) in place.
    /// - Parameters:
    ///   - faceSize: the face's size in pixels (e.g. its box side), which translation speed is divided by.
    ///   - confidence: the regressor's or tracker's confidence in this frame (0…1).
    ///   - occlusion: the fraction of the face judged occluded (0…1); occluded frames weigh less for identity.
    public mutating func smooth(_ parameters: inout FaceParameters, time: Double, faceSize: Float, confidence: Float, occlusion: Float) {
        identity.update(&parameters.identity, confidence: confidence, occlusion: occlusion)
        expression.filter(&parameters.expression, time: time, scale: settings.expressionScale)
        let t = parameters.pose.translation
        translationBuffer[0] = t.x
        translationBuffer[1] = t.y
        translationBuffer[2] = t.z
        translation.filter(&translationBuffer, time: time, scale: faceSize)
        parameters.pose.translation = SIMD3(translationBuffer[0], translationBuffer[1], translationBuffer[2])
        scaleBuffer[0] = parameters.pose.scale
        scale.filter(&scaleBuffer, time: time, scale: max(parameters.pose.scale, .leastNormalMagnitude))
        parameters.pose.scale = scaleBuffer[0]
        parameters.pose.rotation = rotation.filter(parameters.pose.rotation, time: time)
    }

    /// Takes in one frame for the centred window: its identity joins the estimate (weighted as in `smooth`), its pose
    /// and expression weights the window. Frames are recorded in increasing order, `lookaheadFrames` ahead of the
    /// frame `centred` is asked for.
    public mutating func record(_ parameters: FaceParameters, frame: Int, confidence: Float, occlusion: Float) {
        identity.add(parameters.identity, confidence: confidence, occlusion: occlusion)
        window.append(parameters, frame: frame)
    }

    /// The smoothed parameters of a recorded `frame`: the identity estimate so far (which has seen the frames up to
    /// `lookaheadFrames` later) and the window's mean pose and expression weights around the frame. Returns false,
    /// changing nothing, for a frame not recorded or already passed.
    public mutating func centred(at frame: Int, into parameters: inout FaceParameters) -> Bool {
        guard window.smoothed(at: frame, into: &parameters) else { return false }
        if parameters.identity.count == identity.mean.count {
            for index in 0..<identity.mean.count { parameters.identity[index] = identity.mean[index] }
        } else {
            parameters.identity = identity.mean
        }
        return true
    }

    /// Forgets everything (the track ended or changed person).
    public mutating func reset() {
        window.reset()
        identity.reset()
        expression.reset()
        translation.reset()
        scale.reset()
        rotation.reset()
    }
}
