import FaceModel
import FaceRegression
import FaceSmoothing
import FaceTracking
import Foundation
import MeshProtocol
import VideoIngest

/// The regressor's landmarks for a track on a frame, fed back to the tracker so the next crop follows them.
public struct TrackObservation: Sendable {
    /// The track.
    public var track: Int
    /// The frame the landmarks belong to.
    public var frame: Int
    /// The 68 landmarks in image pixels; nil when the regression was unusable (the crop stays where it is).
    public var landmarks: [SIMD2<Float>]?
    /// Mean landmark visibility, the observation's confidence.
    public var confidence: Float
    /// The regressor's face score for the crop; nil for regressors without the `face` output.
    public var faceScore: Float?
}

/// Detect/track stage: runs the tracker on a frame and picks the faces to regress. One per pipeline; not thread-safe.
///
/// Where the detector finds nothing, it looks again at other views of the frame (`FaceTracker.secondLooks`: the
/// mirror image, then the frame turned 20° either way), then the full-range detector (when configured) is tried, at
/// most every `tracker.fallbackInterval` frames. With a regressor that has the face score, a new detection becomes a
/// track on its first frame when the regressor, run on its crop here, says it is a face, and background is dropped.
public final class TrackingStage {
    let tracker: FaceTracker
    let detector: FaceDetector
    let fallbackDetector: FaceDetector?
    let verifier: RegressorFaceVerifier?
    let framing: CropFramings
    let maximumFaces: Int
    let followLandmarks: Bool
    let minimumFaceScore: Float
    /// Whether each face's image motion since the previous frame is measured (`TrackedFace.motion`), for the
    /// motion-guided smoothing of causal sources; set by the pipeline.
    public var estimatesMotion = false
    private var motionEstimators: [Int: FaceMotionEstimator] = [:]
    private var previousFrame = -1

    /// Loads the detectors (and, for a regressor with the face score, a regressor of its own to check new faces)
    /// and makes a tracker.
    public init(settings: PipelineSettings, models: PipelineModels) throws(PipelineError) {
        detector = try Self.loadDetector(settings.detectorSidecarPath)
        detector.minimumScore = settings.minimumDetectionScore
        fallbackDetector = try settings.fallbackDetectorSidecarPath.map { path throws(PipelineError) in try Self.loadDetector(path) }
        fallbackDetector?.minimumScore = settings.minimumDetectionScore
        if models.specification.hasFaceScore {
            if settings.reframeFaceScore {
                var plain = settings
                plain.mirrorAverage = false  // landmarks to frame a crop on: one pass is enough
                verifier = RegressorFaceVerifier(
                    reframing: .init(stage: try RegressionStage(settings: plain, model: models.model),
                                     framing: models.convention.framing, threshold: settings.tracker.minimumFaceScore,
                                     passing: settings.reframeMinimumFaceScore),
                    mirrored: settings.mirrorFaceScore)
            } else {
                do {
                    verifier = RegressorFaceVerifier(
                        regressor: try FaceRegressor(modelPath: settings.regressorPath, specificationPath: settings.regressorSidecarPath),
                        mirrored: settings.mirrorFaceScore)
                } catch {
                    throw .modelUnavailable(path: settings.regressorPath, reason: "\(error)")
                }
            }
        } else {
            verifier = nil
        }
        do {
            tracker = try FaceTracker(detector: detector, fallbackDetector: fallbackDetector, verifier: verifier,
                                      configuration: settings.tracker)
        } catch {
            throw .stage(name: "tracking", frame: 0, reason: "\(error)")
        }
        framing = models.convention.framing
        maximumFaces = settings.maximumFaces
        followLandmarks = settings.followLandmarks
        minimumFaceScore = settings.tracker.minimumFaceScore
    }

    private static func loadDetector(_ path: String) throws(PipelineError) -> FaceDetector {
        do {
            return try FaceDetector(sidecarPath: path)
        } catch {
            throw .modelUnavailable(path: path, reason: "\(error)")
        }
    }

    /// Whether new faces are checked with the regressor's face score.
    public var verifiesFaces: Bool { verifier != nil }

    /// The detector and regressor runs spent on finding and confirming faces so far.
    public var work: TrackingWork {
        var work = TrackingWork()
        work.detectorRuns = UInt64(tracker.detectorRuns)
        work.secondLookRuns = UInt64(tracker.secondLookRuns)
        work.fallbackRuns = UInt64(tracker.fallbackRuns)
        work.tileRuns = UInt64(tracker.tileRuns)
        work.faceChecks = UInt64(tracker.verifications)
        work.faceSecondLooks = UInt64(verifier?.secondLooks ?? 0)
        work.faceSecondLookPasses = UInt64(verifier?.reframedPasses ?? 0)
        return work
    }

    /// Changes the detectors' minimum score (a reload).
    public func update(minimumDetectionScore: Float) {
        detector.minimumScore = minimumDetectionScore
        fallbackDetector?.minimumScore = minimumDetectionScore
    }

    /// Applies the regressor's observations of earlier frames (their landmarks when following landmarks, their face
    /// scores always), then tracks `frame`.
    public func process(_ frame: VideoFrame, observations: [TrackObservation]) throws(PipelineError) -> TrackedFrame {
        for observation in observations where followLandmarks || observation.faceScore != nil {
            tracker.observe(id: observation.track, frame: observation.frame, landmarks: followLandmarks ? observation.landmarks : nil,
                            confidence: observation.confidence, faceScore: observation.faceScore)
        }
        let tracks: [FaceTrack]
        let unusableBefore = verifier?.unusableOutputs ?? 0
        do {
            tracks = try tracker.process(frame)
        } catch {
            throw .stage(name: "tracking", frame: frame.index, reason: "\(error)")
        }
        var faces = tracks.prefix(maximumFaces).map { track in
            TrackedFace(track: track.id, confidence: track.confidence, box: track.box, region: track.cropRegion(framing: framing))
        }
        if estimatesMotion {
            measureMotion(&faces, in: frame)
        } else if !motionEstimators.isEmpty {
            motionEstimators = [:]
        }
        return TrackedFrame(frame: frame, faces: faces, rejectedFaces: (verifier?.unusableOutputs ?? 0) - unusableBefore)
    }

    /// Measures each face's motion from the previous frame to `frame` (`FaceMotionEstimator`, one per track) and
    /// remembers the face's square in `frame` for the next; estimators of tracks not in `faces` are dropped.
    private func measureMotion(_ faces: inout [TrackedFace], in frame: VideoFrame) {
        for index in faces.indices {
            let track = faces[index].track
            // Taken out while in use, so its buffers are updated in place, not copied.
            var estimator = motionEstimators.removeValue(forKey: track) ?? FaceMotionEstimator()
            if let motion = estimator.measure(frame) {
                faces[index].motion = motion
                faces[index].motionSince = previousFrame
            }
            let box = faces[index].box
            estimator.remember(frame, centre: (box.minimum + box.maximum) / 2,
                               side: max(box.maximum.x - box.minimum.x, box.maximum.y - box.minimum.y))
            motionEstimators[track] = estimator
        }
        if motionEstimators.count > faces.count {  // a track ended: drop its estimator
            for track in Array(motionEstimators.keys) where !faces.contains(where: { $0.track == track }) {
                motionEstimators[track] = nil
            }
        }
        previousFrame = frame.index
    }

    /// Faces in a still image: every detection (best first, up to the maximum) is a face of its own, numbered
    /// from 1, since a single picture cannot confirm a track. Where the detector finds nothing it looks again at
    /// other views of the image (`FaceTracker.secondLooks`), then the full-range detector, then the image's
    /// tiles (`FaceTracker.lookInTiles`, whose faces need the tiles' own face-score bar); with the face score,
    /// detections whose crop is not a face are dropped.
    public func detectStill(_ frame: VideoFrame) throws(PipelineError) -> TrackedFrame {
        var detections: [FaceDetection]
        let unusableBefore = verifier?.unusableOutputs ?? 0
        do {
            detections = try detector.detect(in: frame)
            var bar = minimumFaceScore
            if detections.isEmpty { (detections, bar) = try tracker.lookAgain(in: frame) }
            if let verifier {
                detections = try detections.filter { detection throws(FaceTrackingError) in
                    try (verifier.faceScore(of: detection, in: frame) ?? 1) >= bar
                }
            }
        } catch {
            throw .stage(name: "detection", frame: frame.index, reason: "\(error)")
        }
        let faces = detections.prefix(maximumFaces).enumerated().map { offset, detection in
            TrackedFace(track: offset + 1, confidence: detection.score, box: detection.box,
                        region: framing.region(detection: detection.box))
        }
        return TrackedFrame(frame: frame, faces: faces, rejectedFaces: (verifier?.unusableOutputs ?? 0) - unusableBefore)
    }
}

/// Crop + regress stage: cuts each face's crop out of the frame, runs the ORN regressor, maps its pose to image
/// pixels and computes the raw landmarks the tracker follows. One per pipeline; not thread-safe.
public final class RegressionStage {
    let regressor: FaceRegressor
    let model: MorphableModel
    /// Whether the regressor has the `face` output, whose score the tracker uses to confirm and end tracks.
    public var hasFaceScore: Bool { regressor.specification.hasFaceScore }
    /// Model expression index of each regressor expression output.
    let expressionOrder: [Int]
    private var landmarkIndices = [Int32](repeating: 0, count: MorphableModel.landmarkCount)
    private var landmarks = [SIMD2<Float>](repeating: .zero, count: MorphableModel.landmarkCount)
    private var expression: [Float]
    /// Set when each face is also regressed from its mirrored crop and the two answers averaged
    /// (`PipelineSettings.mirrorAverage`).
    private var mirrorAveraging: MirrorAveraging?

    /// Loads the regressor and checks it against the face model.
    public init(settings: PipelineSettings, model: MorphableModel) throws(PipelineError) {
        do {
            regressor = try FaceRegressor(modelPath: settings.regressorPath, specificationPath: settings.regressorSidecarPath)
        } catch {
            throw .modelUnavailable(path: settings.regressorPath, reason: "\(error)")
        }
        let specification = regressor.specification
        guard specification.identityModes == model.identityCount else {
            throw .modelsDisagree(reason: "\(specification.identityModes) identity modes regressed, the face model uses \(model.identityCount)")
        }
        var order: [Int] = []
        for name in specification.expressionNames {
            guard let index = model.expressionIndex(named: name) else {
                throw .modelsDisagree(reason: "expression '\(name)' is not in the face model")
            }
            order.append(index)
        }
        guard Set(order).count == model.expressionCount else {
            throw .modelsDisagree(reason: "the regressor's \(order.count) expressions do not cover the model's \(model.expressionCount)")
        }
        expressionOrder = order
        self.model = model
        expression = [Float](repeating: 0, count: model.expressionCount)
        if settings.mirrorAverage {
            guard let averaging = MirrorAveraging(model: model, cropSide: specification.crop.size) else {
                throw .modelsDisagree(reason: "mirror averaging needs every _L/_R and Left/Right expression's mirror in the face model")
            }
            mirrorAveraging = averaging
        }
    }

    /// Regresses every face of `tracked`; returns the frame's faces and the observations for the tracker.
    public func process(_ tracked: TrackedFrame) throws(PipelineError) -> (RegressedFrame, [TrackObservation]) {
        var faces: [RegressedImageFace] = []
        var observations: [TrackObservation] = []
        faces.reserveCapacity(tracked.faces.count)
        var rejected = tracked.rejectedFaces
        for face in tracked.faces {
            let regressed: RegressedFace, points: [SIMD2<Float>]
            do {
                (regressed, points) = try regress(tracked.frame, region: face.region)
            } catch .unusableRegression {
                // Not published; the track hears "no face here" (score 0, crop kept where it is) and ends by the
                // face-score rule if the model keeps diverging on it.
                rejected += 1
                observations.append(TrackObservation(track: face.track, frame: tracked.frame.index, landmarks: nil,
                                                     confidence: 0, faceScore: 0))
                continue
            }
            faces.append(RegressedImageFace(tracked: face, face: regressed))
            observations.append(TrackObservation(track: face.track, frame: tracked.frame.index, landmarks: points,
                                                 confidence: regressed.meanVisibility, faceScore: regressed.faceScore))
        }
        let frame = tracked.frame
        return (RegressedFrame(index: frame.index, presentationTime: frame.presentationTime, captureTime: frame.captureTime,
                               faces: faces, rejectedFaces: rejected),
                observations)
    }

    /// Regresses the crop of `region`: the face with its pose in image pixels and expressions in model order,
    /// and its raw landmarks in image pixels.
    public func regress(_ frame: VideoFrame, region: CropRegion) throws(PipelineError) -> (RegressedFace, [SIMD2<Float>]) {
        let transform = regressor.cropper.transform(for: region)
        var face = try regressInModelOrder(frame, transform: transform)
        if mirrorAveraging != nil {
            let mirrored = try regressInModelOrder(frame, transform: transform.mirrored(side: regressor.specification.crop.size))
            do {
                if let averaged = try mirrorAveraging?.average(face, mirrored, model: model) { face = averaged }
            } catch {
                throw .stage(name: "regression", frame: frame.index, reason: "mirror averaging: \(error)")
            }
        }
        face.pose = transform.imagePose(fromCrop: face.pose)
        do {
            // Only the 68 landmark vertices: the tracker needs them now, the mesh is built after smoothing.
            try model.landmarks(identity: face.identity, expression: face.expression, pose: face.pose,
                                indices: &landmarkIndices, into: &landmarks)
        } catch {
            throw .stage(name: "regression", frame: frame.index, reason: "\(error)")
        }
        return (face, landmarks)
    }

    /// The regressor's answer for the crop under `transform`, its expressions in model order, its pose in crop pixels.
    private func regressInModelOrder(_ frame: VideoFrame, transform: CropTransform) throws(PipelineError) -> RegressedFace {
        var face: RegressedFace
        do {
            face = try regressor.regress(frame, transform: transform)
        } catch .unusableOutput(let reason) {
            throw .unusableRegression(frame: frame.index, reason: reason)
        } catch {
            throw .stage(name: "regression", frame: frame.index, reason: "\(error)")
        }
        for (output, index) in expressionOrder.enumerated() { expression[index] = face.expression[output] }
        face.expression = expression
        return face
    }
}

/// Smooth + mesh stage: one smoother (identity estimate and filters) per track, then the whole-head mesh,
/// the 68 landmarks with visibility, and the camera-space pose. One per pipeline; not thread-safe.
///
/// For a source that lets it wait (a file read as fast as possible), the stage holds
/// `SmoothingSettings.lookaheadFrames` frames back and smooths each frame over a window centred on it (`accept`, then
/// `finish` at the end of the source): the output has every frame, in order, without the causal filters' lag. Live
/// sources and paced files are smoothed causally, frame by frame.
///
/// A person's identity converges, so each track keeps its identity shape and the identity it was built
/// from, and publishes that identity until the estimate has moved the head's vertices by more than
/// `identityStep` (RMS): the mesh then costs the expressions only, and stays exact for the identity sent.
public final class MeshStage {
    /// RMS vertex displacement (centimetres) at which a track's published identity and shape are renewed: 0.05 mm,
    /// far below what the regressor resolves; on s18.mp4 it renews the shape on about one frame in nine.
    public static let identityStep: Float = 0.005
    let model: MorphableModel
    private(set) var settings: SmoothingSettings
    /// Whether `process` smooths by default (false: every frame as regressed, to measure the filters' lag).
    let smoothsByDefault: Bool
    /// Whether the source lets the stage hold frames back for a centred window (files read as fast as possible).
    let allowsLookahead: Bool
    /// Frames taken in by `accept` and not yet smoothed (their windows still wait for later frames).
    private var pending: [RegressedFrame] = []
    private var tracks: [Int: TrackMeshState] = [:]
    private let identityDisplacement: IdentityDisplacement
    /// The point of the face whose image motion guided smoothing carries (`TrackMeshState.innerFaceCentre`), worked
    /// out once for the model.
    private let motionAnchor: SIMD3<Float>
    private var mesh: FaceMesh
    private var landmarkIndices = [Int32](repeating: 0, count: MorphableModel.landmarkCount)
    private var landmarks = [SIMD2<Float>](repeating: .zero, count: MorphableModel.landmarkCount)

    /// A stage building meshes of `model` with `settings`; with `smoothing` false frames are taken as regressed,
    /// with `lookahead` (an unpaced file) `accept` smooths over centred windows when the settings ask for one.
    public init(model: MorphableModel, settings: SmoothingSettings, smoothing: Bool = true, lookahead: Bool = false) {
        self.model = model
        self.settings = settings
        smoothsByDefault = smoothing
        allowsLookahead = lookahead
        mesh = model.makeMesh(.wholeHead)
        identityDisplacement = IdentityDisplacement(model: model)
        motionAnchor = TrackMeshState.innerFaceCentre(of: model)
    }

    /// The mesh state of `track`, taken out of `tracks` while in use (so its buffers are updated in place, not
    /// copied; the caller puts it back), or a new one.
    private func takeState(of track: Int) -> TrackMeshState {
        tracks.removeValue(forKey: track) ?? TrackMeshState(model: model, settings: settings, motionAnchor: motionAnchor)
    }

    /// Changes the filters' settings; every track keeps its history.
    public func update(settings: SmoothingSettings) {
        self.settings = settings
        for key in tracks.keys { tracks[key]!.smoother.update(settings: settings) }
    }

    /// Frames on each side of a frame that its centred window reaches; 0 when frames are smoothed one by one.
    var lookaheadFrames: Int { allowsLookahead && smoothsByDefault ? max(settings.lookaheadFrames, 0) : 0 }

    /// Takes in the next frame of the stream and returns the frames now ready, in order: with a centred window, the
    /// frame `lookaheadFrames` back (none while the window fills); otherwise this frame, smoothed causally.
    public func accept(_ frame: RegressedFrame) throws(PipelineError) -> [ProcessedFrame] {
        let lookahead = lookaheadFrames
        guard lookahead > 0 else {
            var ready = try finish()  // frames held before a reload turned the window off
            ready.append(try process(frame))
            return ready
        }
        for face in frame.faces {
            var state = takeState(of: face.tracked.track)
            state.smoother.record(FaceParameters(identity: face.face.identity, expression: face.face.expression,
                                                 pose: face.face.pose),
                                  frame: frame.index, confidence: face.tracked.confidence,
                                  occlusion: 1 - face.face.meanVisibility)
            tracks[face.tracked.track] = state
        }
        pending.append(frame)
        var ready: [ProcessedFrame] = []
        while pending.count > lookahead { ready.append(try build(pending.removeFirst(), mode: .centred)) }
        return ready
    }

    /// The frames still held back, smoothed over the windows they have (the end of the source).
    public func finish() throws(PipelineError) -> [ProcessedFrame] {
        var ready: [ProcessedFrame] = []
        while !pending.isEmpty { ready.append(try build(pending.removeFirst(), mode: .centred)) }
        return ready
    }

    /// Smooths each face with its track's filters (tracks absent from the frame have ended and are forgotten;
    /// with `smooth` false every face is taken as regressed, for unrelated still images) and builds the frame.
    public func process(_ frame: RegressedFrame, smooth: Bool? = nil) throws(PipelineError) -> ProcessedFrame {
        try build(frame, mode: smooth ?? smoothsByDefault ? .causal : .regressed)
    }

    /// How `build` gets a face's parameters.
    private enum Smoothing {
        /// As regressed.
        case regressed
        /// Through the track's causal filters, this frame now.
        case causal
        /// From the track's centred window, recorded by `accept`.
        case centred
    }

    private func build(_ frame: RegressedFrame, mode: Smoothing) throws(PipelineError) -> ProcessedFrame {
        // A track ends when it is in neither this frame nor one held back after it.
        var present = Set(frame.faces.map(\.tracked.track))
        for later in pending { present.formUnion(later.faces.map(\.tracked.track)) }
        for track in tracks.keys where !present.contains(track) { tracks[track] = nil }
        var published: [PublishedFace] = []
        var processed: [ProcessedFace] = []
        for face in frame.faces {
            var parameters = FaceParameters(identity: face.face.identity, expression: face.face.expression, pose: face.face.pose)
            let box = face.tracked.box
            var vertices = [SIMD3<Float>](repeating: .zero, count: model.vertexCount)
            let camera: MeshTransform
            do {
                if mode == .regressed {
                    try model.evaluate(identity: parameters.identity, expression: parameters.expression, into: &mesh)
                } else {
                    var state = takeState(of: face.tracked.track)
                    if mode == .causal {
                        let size = max(box.maximum.x - box.minimum.x, box.maximum.y - box.minimum.y, 1)
                        // A motion counts only from the frame this track was last smoothed on (a live source may
                        // drop frames between the stages).
                        let motion = face.tracked.motionSince == state.lastFrame ? face.tracked.motion : nil
                        state.smoother.smooth(&parameters, time: frame.presentationTime, faceSize: size,
                                              confidence: face.tracked.confidence, occlusion: 1 - face.face.meanVisibility,
                                              motion: motion)
                        state.lastFrame = frame.index
                    } else {
                        _ = state.smoother.centred(at: frame.index, into: &parameters)  // `accept` recorded it
                    }
                    try state.buildMesh(&parameters, model: model, displacement: identityDisplacement, into: &mesh)
                    tracks[face.tracked.track] = state
                }
                camera = parameters.pose.cameraSpaceTransform
                try model.landmarks(of: mesh, pose: parameters.pose, indices: &landmarkIndices, into: &landmarks)
                try mesh.posed(by: camera, into: &vertices)
            } catch {
                throw .stage(name: "mesh", frame: frame.index, reason: "\(error)")
            }
            let faceScore = face.face.faceScore
            let face = PublishedFace(
                trackIdentifier: UInt32(face.tracked.track), confidence: min(max(face.tracked.confidence, 0), 1),
                pose: PublishedPose(rotation: camera.rotation.vector, translation: camera.translation, scale: camera.scale),
                expressionWeights: parameters.expression, identity: parameters.identity, landmarks: landmarks,
                landmarkVisibility: face.face.visibility, vertices: vertices)
            published.append(face)
            processed.append(ProcessedFace(published: face, box: box, imagePose: parameters.pose, faceScore: faceScore))
        }
        let frameOut = PublishedFrame(sequence: UInt64(frame.index), sourceTimestamp: frame.presentationTime,
                                      captureTime: frame.captureTime, faces: published)
        return ProcessedFrame(index: frame.index, published: frameOut, faces: processed)
    }

}

/// What the mesh stage keeps per track: its filters, and its identity shape with the identity it was built from.
private struct TrackMeshState {
    var smoother: FaceSmoother
    /// The last frame smoothed causally (-2 before any: never a `TrackedFace.motionSince`).
    var lastFrame = -2
    var shapeIdentity: [Float]?
    var shape: FaceMesh

    init(model: MorphableModel, settings: SmoothingSettings, motionAnchor: SIMD3<Float>) {
        smoother = FaceSmoother(identityCount: model.identityCount, expressionCount: model.expressionCount, settings: settings)
        smoother.motionAnchor = motionAnchor
        shape = model.makeMesh(.wholeHead)
    }

    /// The mean of the neutral face's inner landmark vertices (brows, nose, eyes, mouth: landmarks 17–67), the
    /// point of the face motion guidance carries (`MotionGuidance`): on the face's surface, where the image motion
    /// is measured.
    static func innerFaceCentre(of model: MorphableModel) -> SIMD3<Float> {
        let neutral = model.neutral
        var sum = SIMD3<Float>.zero, count: Float = 0
        for landmark in 17..<min(68, model.landmarkVertices.count) {
            let vertex = Int(model.landmarkVertices[landmark])
            guard vertex >= 0, vertex < model.vertexCount else { continue }
            sum += SIMD3(neutral[3 * vertex], neutral[3 * vertex + 1], neutral[3 * vertex + 2])
            count += 1
        }
        return count > 0 ? sum / count : .zero
    }

    /// Builds `mesh` from the identity shape (renewed when the identity estimate has moved by more than
    /// `MeshStage.identityStep`) plus the expressions; `parameters.identity` becomes the identity the shape holds.
    mutating func buildMesh(_ parameters: inout FaceParameters, model: MorphableModel, displacement: IdentityDisplacement,
                            into mesh: inout FaceMesh) throws(FaceModelError) {
        if shapeIdentity.map({ displacement.rootMeanSquare(from: $0, to: parameters.identity) > MeshStage.identityStep }) ?? true {
            try model.identityShape(identity: parameters.identity, into: &shape)
            shapeIdentity = parameters.identity
        }
        parameters.identity = shapeIdentity!
        try model.evaluate(identityShape: shape, expression: parameters.expression, into: &mesh)
    }
}
