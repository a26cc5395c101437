import FaceModel
import FaceSmoothing
import FaceTracking
import Foundation
import MonotonicTime
import Synchronization
import VideoIngest

/// The streaming pipeline: decode → detect/track → crop + regress → smooth + mesh → sink, each stage on a thread
/// of its own with a bounded `StageHandoff` to the next, so decoding, inference and publishing overlap.
///
/// Live sources never queue up: every hand-off holds one item and replaces it when the next stage is behind,
/// counting the drop. Files lose nothing: hand-offs wait, so every frame reaches the sink in order, as fast as the
/// slowest stage (or at the file's own pace with `realtime`). The regressor's landmarks go back to the tracker so
/// the next crop follows the face; for files the tracker waits for the landmarks of the frame two back, which
/// makes the output the same on every run while tracking and regression still overlap.
public final class Pipeline: Sendable {
    /// Whether the source is live (newest frame wins) or a file (every frame).
    public let isLive: Bool
    /// Whether the tracker takes the regressor's observations back (landmarks, or face scores).
    private let usesFeedback: Bool
    /// Whether the mesh stage smooths frame by frame with the causal filters whatever the settings (a live or paced
    /// source, smoothing on).
    private let smoothsCausally: Bool
    /// Whether smoothing is on at all (`PipelineSettings.smoothingEnabled`).
    private let smoothingEnabled: Bool
    /// The shared models.
    public let models: PipelineModels
    private let recorder = StatisticsRecorder()
    private let decoded: StageHandoff<VideoFrame>
    private let tracked: StageHandoff<TrackedFrame>
    private let regressed: StageHandoff<RegressedFrame>
    private let meshed: StageHandoff<ProcessedFrame>
    private let feedback = ObservationMailbox()
    private let control = Mutex(Control())
    private let finished = DispatchGroup()
    private let stopping = Atomic<Bool>(false)
    /// Ends the decode thread's wait for a source that has gone quiet.
    private let sourceInterruption: SourceInterruption
    /// Signalled by `stop()` and by a failure: ends the decode thread's `--realtime` wait for a frame's time, which
    /// a timestamp gap in a hostile file can make days long.
    private let pacingWakeup = DispatchSemaphore(value: 0)
    private let start: Mutex<StartState?>

    struct Control {
        var failure: PipelineError?
        var pendingSmoothing: SmoothingSettings?
        var pendingDetectionScore: Float?
        /// Whether the tracking stage should measure face motion under reloaded smoothing settings.
        var pendingMotionEstimation: Bool?
    }

    /// The non-`Sendable` parts, moved onto their threads by `run`.
    final class StartState: @unchecked Sendable {
        let source: any FrameSource
        let tracking: TrackingStage
        let regression: RegressionStage
        let mesh: MeshStage
        let sink: any FrameSink
        let realtime: Bool
        let inputName: String
        let gate: (@Sendable () -> Void)?
        let progress: (@Sendable () -> Void)?
        init(source: any FrameSource, tracking: TrackingStage, regression: RegressionStage, mesh: MeshStage, sink: any FrameSink,
             realtime: Bool, inputName: String, gate: (@Sendable () -> Void)?, progress: (@Sendable () -> Void)?) {
            self.source = source
            self.tracking = tracking
            self.regression = regression
            self.mesh = mesh
            self.sink = sink
            self.realtime = realtime
            self.inputName = inputName
            self.gate = gate
            self.progress = progress
        }
    }

    /// Loads the models and builds the stages around an open source; `start()` runs them.
    ///
    /// - Parameters:
    ///   - inputName: names the source in error messages.
    ///   - gate: called on the decode thread before the first frame is read (e.g. to wait for clients).
    ///   - progress: called after each frame reached the sink (the watchdog's heartbeat).
    public init(source: any FrameSource, inputName: String, settings: PipelineSettings, models: PipelineModels,
                sink: any FrameSink, gate: (@Sendable () -> Void)? = nil, progress: (@Sendable () -> Void)? = nil) throws(PipelineError) {
        self.models = models
        let tracking = try TrackingStage(settings: settings, models: models)
        let regression = try RegressionStage(settings: settings, model: models.model)
        // Paced like a live source (`realtime`), a file gets no centred window: held frames would wait out its pauses.
        let mesh = MeshStage(model: models.model, settings: settings.smoothing, smoothing: settings.smoothingEnabled,
                             lookahead: !source.isLive && !settings.realtime)
        isLive = source.isLive
        smoothsCausally = settings.smoothingEnabled && (source.isLive || settings.realtime)
        smoothingEnabled = settings.smoothingEnabled
        tracking.estimatesMotion = Self.measuresMotion(settings.smoothing, causal: smoothsCausally, enabled: smoothingEnabled)
        sourceInterruption = source.interruption
        usesFeedback = settings.followLandmarks || regression.hasFaceScore
        let policy: StageHandoff<VideoFrame>.OverflowPolicy = isLive ? .replaceOldest : .waitForSpace
        let capacity = isLive ? 1 : 2
        decoded = StageHandoff(capacity: capacity, policy: policy)
        tracked = StageHandoff(capacity: capacity, policy: isLive ? .replaceOldest : .waitForSpace)
        regressed = StageHandoff(capacity: capacity, policy: isLive ? .replaceOldest : .waitForSpace)
        meshed = StageHandoff(capacity: capacity, policy: isLive ? .replaceOldest : .waitForSpace)
        start = Mutex(StartState(source: source, tracking: tracking, regression: regression, mesh: mesh, sink: sink,
                                 realtime: settings.realtime && !source.isLive, inputName: inputName, gate: gate, progress: progress))
    }

    /// Starts the stage threads (once).
    public func run() {
        guard let parts = start.withLock({ state -> StartState? in defer { state = nil }; return state }) else { return }
        launch(.decode) { self.decodeLoop(parts) }
        launch(.track) { self.trackLoop(parts.tracking) }
        launch(.regress) { self.regressLoop(parts.regression) }
        launch(.mesh) { self.meshLoop(parts.mesh) }
        launch(.publish) { self.publishLoop(parts.sink, progress: parts.progress) }
    }

    /// Asks the pipeline to stop: decoding ends after the current frame (a source waiting for input is
    /// interrupted), and frames already decoded still flow through to the sink. `wait()` returns once they have.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        sourceInterruption.interrupt()
        pacingWakeup.signal()
    }

    /// Blocks until every stage has ended (end of the source, `stop()`, or a failure); returns the failure, if any.
    @discardableResult
    public func wait() -> PipelineError? {
        finished.wait()
        return control.withLock { $0.failure }
    }

    /// Counters now.
    public var statistics: PipelineStatistics {
        recorder.snapshot(dropped: UInt64(decoded.droppedCount + tracked.droppedCount + regressed.droppedCount + meshed.droppedCount))
    }

    /// Whether faces' image motion is measured for `smoothing`: with motion guidance, where the mesh stage smooths
    /// causally (a live or paced source, or a file without the centred window).
    private static func measuresMotion(_ smoothing: SmoothingSettings, causal: Bool, enabled: Bool) -> Bool {
        enabled && smoothing.motionGuidance != nil && (causal || smoothing.lookaheadFrames <= 0)
    }

    /// Applies reloadable settings from the next frame on: smoothing filters and the detector's minimum score, and
    /// whether the tracking stage measures faces' motion for the smoothing (`MotionGuidance`). Each stage takes them
    /// up with the next frame it handles, so for the frames already between the stages a newly guided smoother
    /// has no motion and pulls the pose part way instead (`MotionGuidance.fallbackCorrection`).
    public func reload(smoothing: SmoothingSettings, minimumDetectionScore: Float) {
        let motion = Self.measuresMotion(smoothing, causal: smoothsCausally, enabled: smoothingEnabled)
        control.withLock {
            $0.pendingMotionEstimation = motion
            $0.pendingSmoothing = smoothing
            $0.pendingDetectionScore = minimumDetectionScore
        }
    }

    // MARK: - Stage threads

    private func launch(_ stage: PipelineStage, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        thread.name = "occlumesh.\(stage.name)"
        thread.start()
    }

    private func fail(_ error: PipelineError) {
        control.withLock { if $0.failure == nil { $0.failure = error } }
        stopping.store(true, ordering: .relaxed)
        sourceInterruption.interrupt()
        pacingWakeup.signal()
        decoded.close()
        tracked.close()
        regressed.close()
        meshed.close()
        feedback.close()
    }

    private func decodeLoop(_ parts: StartState) {
        defer { decoded.close() }
        parts.gate?()
        var firstTimes: (presentation: Double, wall: Double)?
        var framesRead = 0
        while !stopping.load(ordering: .relaxed) {
            let began = MonotonicClock.now()
            let frame: VideoFrame?
            do {
                frame = try parts.source.nextFrame()
            } catch {
                fail(.source(input: parts.inputName, reason: "\(error)"))
                return
            }
            guard let frame else {
                // A file whose video stream decodes to nothing (a broken sample table, say) is not a success.
                if framesRead == 0, !stopping.load(ordering: .relaxed) {
                    fail(.source(input: parts.inputName, reason: "no frame decoded: the video stream holds no decodable frame"))
                }
                return
            }
            framesRead += 1
            recorder.stage(.decode, seconds: MonotonicClock.now() - began)
            if parts.realtime {
                let times = firstTimes ?? (frame.presentationTime, MonotonicClock.now())
                firstTimes = times
                let delay = times.wall + (frame.presentationTime - times.presentation) - MonotonicClock.now()
                // Not Thread.sleep: stop() must be able to end the wait (a jump of 100,000 s in the timestamps).
                if delay > 0, pacingWakeup.wait(timeout: .now() + min(delay, 86_400 * 365)) == .success { return }
            }
            // Counted in as it is handed on, so a frame whose pacing wait a stop ended is neither in nor dropped (a
            // hand-off closed by a failure refuses the frame after counting it; the run has failed by then).
            recorder.frameIn()
            guard decoded.put(frame) else { return }
        }
    }

    /// The loop of the stages between two hand-offs: takes frames from `input` until it closes, `prepare`s each
    /// (waits and settings that are not the stage's work), times `process` on it as `stage`, and puts its results on
    /// `output` — one per frame, except where a stage holds frames back (the mesh stage's centred window) — and, once
    /// `input` has closed, what `finish` releases; an error fails the pipeline. Closing `output` on the way out tells
    /// the next stage that no more frames come.
    private func runStage<Input, Prepared, Output>(
        _ stage: PipelineStage, from input: StageHandoff<Input>, to output: StageHandoff<Output>,
        prepare: (Input) -> Prepared, process: (Prepared) throws(PipelineError) -> [Output],
        finish: () throws(PipelineError) -> [Output] = { [] }
    ) {
        defer { output.close() }
        func deliver(timed: Bool, _ work: () throws(PipelineError) -> [Output]) -> Bool {
            let began = MonotonicClock.now()
            do {
                let results = try work()
                if timed { recorder.stage(stage, seconds: MonotonicClock.now() - began) }
                return results.allSatisfy { output.put($0) }
            } catch {
                fail(error)
                return false
            }
        }
        while let item = input.take() {
            let prepared = prepare(item)
            guard deliver(timed: true, { () throws(PipelineError) in try process(prepared) }) else { return }
        }
        _ = deliver(timed: false, finish)
    }

    private func trackLoop(_ stage: TrackingStage) {
        runStage(.track, from: decoded, to: tracked, prepare: { frame in
            if let score = control.withLock({ state -> Float? in defer { state.pendingDetectionScore = nil }; return state.pendingDetectionScore }) {
                stage.update(minimumDetectionScore: score)
            }
            if let motion = control.withLock({ state -> Bool? in defer { state.pendingMotionEstimation = nil }; return state.pendingMotionEstimation }) {
                stage.estimatesMotion = motion
            }
            // Files: the observations of the frame two back decide this frame's crops and track ends, on every run alike.
            return (frame, isLive || !usesFeedback ? feedback.drain() : feedback.drain(waitingFor: frame.index - 2))
        }, process: { (frame, observations) throws(PipelineError) in
            let tracked = try stage.process(frame, observations: observations)
            recorder.tracking(stage.work)
            return [tracked]
        })
    }

    private func regressLoop(_ stage: RegressionStage) {
        defer { feedback.close() }
        runStage(.regress, from: tracked, to: regressed, prepare: { $0 }, process: { frame throws(PipelineError) in
            let (result, observations) = try stage.process(frame)
            feedback.post(observations, frame: frame.frame.index)
            recorder.facesRejected(result.rejectedFaces)
            return [result]
        })
    }

    private func meshLoop(_ stage: MeshStage) {
        runStage(.mesh, from: regressed, to: meshed, prepare: { frame in
            if let settings = control.withLock({ state -> SmoothingSettings? in defer { state.pendingSmoothing = nil }; return state.pendingSmoothing }) {
                stage.update(settings: settings)
            }
            return frame
        }, process: { frame throws(PipelineError) in
            try stage.accept(frame)
        }, finish: { () throws(PipelineError) in
            try stage.finish()
        })
    }

    private func publishLoop(_ sink: any FrameSink, progress: (@Sendable () -> Void)?) {
        while let frame = meshed.take() {
            let began = MonotonicClock.now()
            do {
                try sink.consume(frame)
            } catch {
                fail(.stage(name: "output", frame: frame.index, reason: "\(error)"))
                return
            }
            let now = MonotonicClock.now()
            recorder.stage(.publish, seconds: now - began)
            recorder.frameOut(latency: now - frame.published.captureTime, faces: frame.faces.count)
            progress?()
        }
    }
}

/// The regressor's observations on their way back to the tracker, with the index of the last frame regressed.
final class ObservationMailbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [TrackObservation] = []
    private var lastFrame = -1
    private var closed = false

    func post(_ observations: [TrackObservation], frame: Int) {
        condition.withLock {
            pending += observations
            lastFrame = frame
            condition.broadcast()
        }
    }

    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    /// Everything posted so far.
    func drain() -> [TrackObservation] {
        condition.withLock {
            defer { pending = [] }
            return pending
        }
    }

    /// Waits until frame `frame` was regressed (or the mailbox closed), then takes the observations of frames
    /// up to `frame`, leaving later ones for the next call.
    func drain(waitingFor frame: Int) -> [TrackObservation] {
        condition.lock()
        defer { condition.unlock() }
        while lastFrame < frame && !closed { condition.wait() }
        let taken = pending.filter { $0.frame <= frame }
        pending.removeAll { $0.frame <= frame }
        return taken
    }
}
