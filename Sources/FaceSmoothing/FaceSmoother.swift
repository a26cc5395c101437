#if canImport(Glibc)
import Glibc
#endif
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
    /// The pose of the causal filters carried by the face's measured image motion (`MotionGuidance`, the default);
    /// nil keeps the One Euro filters for the pose. In JSON (Codable) nil is an absent key, so settings written
    /// before this key existed decode without guidance, as they were meant.
    public var motionGuidance: MotionGuidance?

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
                expressionScale: Float = 1, lookaheadFrames: Int = SmoothingSettings.defaultLookaheadFrames,
                motionGuidance: MotionGuidance? = MotionGuidance()) {
        self.motionGuidance = motionGuidance
        self.expression = expression
        self.translation = translation
        self.rotation = rotation
        self.identity = identity
        self.expressionScale = expressionScale
        self.lookaheadFrames = lookaheadFrames
    }
}

/// The causal pose filter for a face whose image motion between frames is measured (FaceTracking's
/// `FaceMotionEstimator`), a complementary filter: each frame the face's anchor (a point on the face's surface,
/// `FaceSmoother.motionAnchor`) is carried from where the last smoothed pose put it by the mean of the last
/// `averagedSteps` measured motions, and pulled a `correction` share of the way to where the regressed pose puts it;
/// scale likewise; the rotation, turned in the image plane by the motion, is pulled a `rotationCorrection` share of
/// the way to the regressed one; the translation is what puts the anchor at its place under that rotation. The
/// motion, measured on the pixels, follows the head without delay; the small corrections average the regressor's
/// noise and stop the carried pose from drifting. Carrying a point on the face rather than the model's origin keeps
/// a nod (a turn that moves the face's surface but not the head's centre) from being counted twice, once by the
/// motion as a shift and again by the regressed rotation. A frame without a measured motion (alignment failed, a
/// frame skipped) is pulled by `fallbackCorrection` from where the pose was.
public struct MotionGuidance: Sendable, Equatable, Codable {
    /// Share (0…1] of the way from the carried anchor position and scale to the regressed ones, per frame.
    public var correction: Float
    /// Share (0…1] of the way from the carried rotation to the regressed one, per frame.
    public var rotationCorrection: Float
    /// Frames of measured motion averaged for the step (1…`maximumAveragedSteps`): n of them smooth the judder of a
    /// video converted to another frame rate (it repeats frames, so its motion comes in uneven steps) for (n − 1) / 2
    /// frames of lag of the speed.
    public var averagedSteps: Int
    /// Share of the way to the regressed pose on a frame without a measured motion.
    public var fallbackCorrection: Float
    /// Factor on the averaged measured motion (shift, turn and log-zoom) before it carries the pose.
    public var gain: Float
    /// Most frames of motion `averagedSteps` may ask for.
    public static let maximumAveragedSteps = 4
    /// Seconds without a smoothed frame after which a track's guided pose starts again from the regressed one.
    public static let longestGap = 0.5

    /// Settings from their parts; the defaults are measured (docs/face-tracking.md, "Lag and jitter").
    public init(correction: Float = 0.15, rotationCorrection: Float = 0.15, averagedSteps: Int = 3,
                fallbackCorrection: Float = 0.3, gain: Float = 1) {
        self.correction = correction
        self.rotationCorrection = rotationCorrection
        self.averagedSteps = averagedSteps
        self.fallbackCorrection = fallbackCorrection
        self.gain = gain
    }

    private enum CodingKeys: String, CodingKey {
        case correction, rotationCorrection, averagedSteps, fallbackCorrection, gain
    }

    /// Decodes settings of any version: those written before `gain` existed carry the motion as measured (gain 1),
    /// as they did then.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(correction: try container.decode(Float.self, forKey: .correction),
                  rotationCorrection: try container.decode(Float.self, forKey: .rotationCorrection),
                  averagedSteps: try container.decode(Int.self, forKey: .averagedSteps),
                  fallbackCorrection: try container.decode(Float.self, forKey: .fallbackCorrection),
                  gain: try container.decodeIfPresent(Float.self, forKey: .gain) ?? 1)
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

/// The temporal smoothing of one track: identity converges to one estimate; frame by frame (`smooth`, every source)
/// expressions go through a scale-normalised One Euro filter and the pose is carried by the face's measured image
/// motion (`MotionGuidance`, the default) or, without guidance, goes through One Euro filters (translation and
/// scale) and the quaternion filter (rotation); where the caller can wait `lookaheadFrames` frames (files), pose and
/// expressions go through a centred window instead (`record`, then `centred`). The filters allocate nothing per
/// frame once made.
public struct FaceSmoother: Sendable {
    /// The settings in use.
    public private(set) var settings: SmoothingSettings
    private var identity: IdentityEstimator
    private var expression: OneEuroFilter
    private var translation: OneEuroFilter
    private var scale: OneEuroFilter
    private var rotation: RotationFilter
    private var window: CentredWindowSmoother
    /// The point of the face (model coordinates) whose image motion guidance carries: a point on the face's
    /// surface, such as the mean of its inner landmarks (`MotionGuidance`); the model's origin by default.
    public var motionAnchor = SIMD3<Float>.zero
    /// The last pose out of `smooth` with motion guidance, and the last measured motion (for averaging).
    private var guidedPose: FacePose?
    private var recentMotions: [ImageMotion] = []
    /// When `guidedPose` was made (seconds, the frames' clock).
    private var guidedTime = 0.0
    private var translationBuffer: [Float] = [0, 0, 0]
    private var scaleBuffer: [Float] = [0]

    /// A smoother for a model with these coefficient counts.
    public init(identityCount: Int, expressionCount: Int, settings: SmoothingSettings = SmoothingSettings()) {
        self.settings = settings
        recentMotions.reserveCapacity(MotionGuidance.maximumAveragedSteps)
        identity = IdentityEstimator(dimension: identityCount, settings: settings.identity)
        expression = OneEuroFilter(dimension: expressionCount, settings: settings.expression)
        translation = OneEuroFilter(dimension: 3, settings: settings.translation)
        scale = OneEuroFilter(dimension: 1, settings: settings.translation)
        rotation = RotationFilter(settings: settings.rotation)
        window = CentredWindowSmoother(halfWidth: settings.lookaheadFrames)
    }

    /// Changes the settings; the history is kept.
    public mutating func update(settings: SmoothingSettings) {
        if (settings.motionGuidance == nil) != (self.settings.motionGuidance == nil) {
            // The pose changes hands between the guided pose and the One Euro filters: neither resumes from the
            // state it had when it last ran, maybe minutes ago.
            guidedPose = nil
            recentMotions.removeAll(keepingCapacity: true)
            translation.reset()
            scale.reset()
            rotation.reset()
        }
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
    ///   - motion: how the face moved in the image since the frame last smoothed, when measured; with
    ///     `settings.motionGuidance` the pose follows it (`MotionGuidance`).
    public mutating func smooth(_ parameters: inout FaceParameters, time: Double, faceSize: Float, confidence: Float,
                                occlusion: Float, motion: ImageMotion? = nil) {
        identity.update(&parameters.identity, confidence: confidence, occlusion: occlusion)
        expression.filter(&parameters.expression, time: time, scale: settings.expressionScale)
        if let guidance = settings.motionGuidance {
            parameters.pose = guide(parameters.pose, time: time, motion: motion, guidance: guidance)
            return
        }
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

    /// The motion-guided pose (`MotionGuidance`): the last one carried by the (averaged) measured motion, pulled
    /// towards `regressed`.
    private mutating func guide(_ regressed: FacePose, time: Double, motion: ImageMotion?, guidance: MotionGuidance) -> FacePose {
        let rotation4 = regressed.rotation.vector
        guard regressed.scale.isFinite, regressed.translation.x.isFinite, regressed.translation.y.isFinite,
              regressed.translation.z.isFinite, rotation4.x.isFinite, rotation4.y.isFinite, rotation4.z.isFinite,
              rotation4.w.isFinite else {
            return guidedPose ?? regressed  // never carried on: one bad regression must not poison the track
        }
        // A track unseen for a while starts again from its regressed pose rather than from where it was.
        guard let previous = guidedPose, time - guidedTime <= MotionGuidance.longestGap, time >= guidedTime else {
            guidedPose = regressed
            guidedTime = time
            recentMotions.removeAll(keepingCapacity: true)
            return regressed
        }
        guidedTime = time
        var carried = previous
        var share = guidance.fallbackCorrection, rotationShare = guidance.fallbackCorrection
        if let motion, motion.isFinite {
            let steps = min(max(guidance.averagedSteps, 1), MotionGuidance.maximumAveragedSteps)
            if recentMotions.count >= steps { recentMotions.removeFirst(recentMotions.count - steps + 1) }
            recentMotions.append(motion)
            carried = previous.moved(by: Self.mean(of: recentMotions, gain: guidance.gain))  // projects the anchor where the picture moved it
            share = guidance.correction
            rotationShare = guidance.rotationCorrection
        } else {
            recentMotions.removeAll(keepingCapacity: true)
        }
        share = min(max(share, 0), 1)
        rotationShare = min(max(rotationShare, 0), 1)
        let anchorFrom = carried.project(motionAnchor), anchorTo = regressed.project(motionAnchor)
        let anchor = anchorFrom + share * (anchorTo - anchorFrom)
        let scale = carried.scale + share * (regressed.scale - carried.scale)
        let depth = carried.translation.z + share * (regressed.translation.z - carried.translation.z)
        let rotation = carried.rotation.slerp(to: regressed.rotation, t: rotationShare)
        // The translation that projects the anchor to its place: project(v) = (t.x + r.x, t.y − r.y), r = s·R·v.
        let turned = scale * rotation.rotate(motionAnchor)
        let pose = FacePose(rotation: rotation, translation: SIMD3(anchor.x - turned.x, anchor.y + turned.y, depth), scale: scale)
        guidedPose = pose
        return pose
    }

    /// The mean step of `motions` (not empty), each written about the last one's centre, times `gain`: geometric in
    /// scale, arithmetic in turn and shift.
    private static func mean(of motions: [ImageMotion], gain: Float) -> ImageMotion {
        let centre = motions[motions.count - 1].centre
        var logScale: Float = 0, angle: Float = 0, translation = SIMD2<Float>.zero
        for index in motions.indices {
            let motion = motions[index].about(centre)
            logScale += logf(motion.scale)
            angle += motion.angle
            translation += motion.translation
        }
        let share = gain / Float(motions.count)  // the mean, times the gain
        return ImageMotion(centre: centre, scale: expf(logScale * share), angle: angle * share, translation: translation * share)
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
        guidedPose = nil
        recentMotions.removeAll(keepingCapacity: true)
        window.reset()
        identity.reset()
        expression.reset()
        translation.reset()
        scale.reset()
        rotation.reset()
    }
}
