import MeshProtocol
import MonotonicTime
import VideoIngest
import Synchronization

/// The pipeline's stages in the order a frame meets them, each on a thread of its own.
public enum PipelineStage: Int, CaseIterable, Sendable {
    /// Reading and converting a frame from the source (and pacing it, for `--realtime` files).
    case decode
    /// Detecting and following faces, and framing each face's crop.
    case track
    /// Running the ORN regressor on each crop.
    case regress
    /// Smoothing each track and building its mesh and landmarks.
    case mesh
    /// Handing the finished frame to the sink (the publisher's queues).
    case publish

    /// The name counters and thread names use (`stage_<name>_ms`, `occlumesh.<name>`).
    public var name: String { String(describing: self) }
}

/// The detector and regressor runs the tracking stage spent on finding and confirming faces, since the pipeline
/// started: the work behind a tracking stage that costs more than usual (a scene without faces, where the extra views
/// and the full-range detector are tried; many new detections, each checked by the regressor).
public struct TrackingWork: Sendable, Equatable {
    /// Frames the short-range detector ran on.
    public var detectorRuns: UInt64 = 0
    /// Detector runs on other views of a frame (its mirror image, the frame turned) where it found nothing.
    public var secondLookRuns: UInt64 = 0
    /// Runs of the full-range detector, tried after those views.
    public var fallbackRuns: UInt64 = 0
    /// Detector runs on the frame's tiles, tried last (`tracking.tiled_look`, `tracking.tile_grid`).
    public var tileRuns: UInt64 = 0
    /// New detections whose crops the regressor scored (`tracking.min_face_score`).
    public var faceChecks: UInt64 = 0
    /// Of them, those scored again on the crop framed on their regressed landmarks (`tracking.reframe_face_score`),
    /// and those that passed on that second look.
    public var faceSecondLooks: UInt64 = 0, faceSecondLookPasses: UInt64 = 0

    /// No work yet.
    public init() {}
}

/// The pipeline's counters: frames in, out and dropped, time spent per stage, capture→publish latency.
public struct PipelineStatistics: Sendable, Equatable {
    /// Frames the decode stage handed on to tracking (a frame read while a stop ended its pacing wait is not one).
    public var framesIn: UInt64 = 0
    /// Frames that reached the sink.
    public var framesOut: UInt64 = 0
    /// Frames dropped because a stage was behind (live sources only).
    public var framesDropped: UInt64 = 0
    /// Faces in the frames that reached the sink.
    public var facesOut: UInt64 = 0
    /// Faces skipped because the regressor's outputs for them were unusable (not finite, or beyond any face's range).
    public var facesRejected: UInt64 = 0
    /// Seconds spent in each stage, indexed by `PipelineStage.rawValue`.
    public var stageSeconds = [Double](repeating: 0, count: PipelineStage.allCases.count)
    /// Frames each stage processed, indexed by `PipelineStage.rawValue`.
    public var stageFrames = [UInt64](repeating: 0, count: PipelineStage.allCases.count)
    /// Recent capture→sink latencies in seconds (the last `latencyWindow`).
    public var recentLatencies: [Double] = []
    /// What finding and confirming faces took so far.
    public var tracking = TrackingWork()
    /// Monotonic time the first frame was handed on to tracking, and the last one reached the sink (0 before).
    public var firstFrameTime = 0.0, lastFrameTime = 0.0

    /// Frames per second from the first frame handed on to tracking to the last one delivered.
    public var averageFramesPerSecond: Double {
        framesOut > 1 && lastFrameTime > firstFrameTime ? Double(framesOut) / (lastFrameTime - firstFrameTime) : 0
    }

    /// How many latencies `recentLatencies` keeps.
    public static let latencyWindow = 1024

    /// The latency below which `fraction` of the recent frames stayed (0 when none).
    public func latencyQuantile(_ fraction: Double) -> Double {
        guard !recentLatencies.isEmpty else { return 0 }
        let sorted = recentLatencies.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    /// Mean milliseconds per frame in `stage`.
    public func stageMilliseconds(_ stage: PipelineStage) -> Double {
        let index = stage.rawValue
        return stageFrames[index] == 0 ? 0 : 1000 * stageSeconds[index] / Double(stageFrames[index])
    }

    /// The counters of the status message (`frames_in`, `frames_out`, `frames_dropped`, `faces_rejected`,
    /// `stage_<name>_ms`, `latency_p50_ms`, `latency_p99_ms`, the tracking work's `detector_runs`,
    /// `detector_second_look_runs`, `detector_fallback_runs`, `detector_tile_runs`, `face_checks`, `face_second_looks` and
    /// `face_second_look_passes`, and `fps` given by the caller, who knows the interval).
    public func counters(framesPerSecond: Double) -> [StatusCounter] {
        var counters = [
            StatusCounter("frames_in", Double(framesIn)), StatusCounter("frames_out", Double(framesOut)),
            StatusCounter("frames_dropped", Double(framesDropped)), StatusCounter("fps", framesPerSecond),
            StatusCounter("faces_rejected", Double(facesRejected)),
        ]
        for stage in PipelineStage.allCases {
            counters.append(StatusCounter("stage_\(stage.name)_ms", stageMilliseconds(stage)))
        }
        counters.append(StatusCounter("latency_p50_ms", 1000 * latencyQuantile(0.5)))
        counters.append(StatusCounter("latency_p99_ms", 1000 * latencyQuantile(0.99)))
        counters += [
            StatusCounter("detector_runs", Double(tracking.detectorRuns)),
            StatusCounter("detector_second_look_runs", Double(tracking.secondLookRuns)),
            StatusCounter("detector_fallback_runs", Double(tracking.fallbackRuns)),
            StatusCounter("detector_tile_runs", Double(tracking.tileRuns)),
            StatusCounter("face_checks", Double(tracking.faceChecks)),
            StatusCounter("face_second_looks", Double(tracking.faceSecondLooks)),
            StatusCounter("face_second_look_passes", Double(tracking.faceSecondLookPasses)),
        ]
        return counters
    }

    /// One log line.
    public func summary(framesPerSecond: Double) -> String {
        let stages = PipelineStage.allCases.map { "\($0.name) \(format(stageMilliseconds($0)))" }.joined(separator: ", ")
        let rejected = facesRejected > 0 ? " (\(facesRejected) skipped: regressor output unusable)" : ""
        return "frames in \(framesIn), out \(framesOut), dropped \(framesDropped), faces \(facesOut)\(rejected), \(format(framesPerSecond)) fps; "
            + "ms per frame: \(stages); latency p50 \(format(1000 * latencyQuantile(0.5))) ms, p99 \(format(1000 * latencyQuantile(0.99))) ms; "
            + "detector runs \(tracking.detectorRuns) (other views \(tracking.secondLookRuns), full range \(tracking.fallbackRuns), tiles \(tracking.tileRuns)), "
            + "face checks \(tracking.faceChecks) (second looks \(tracking.faceSecondLooks), \(tracking.faceSecondLookPasses) passed)"
    }

    private func format(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        return "\(Int(hundredths) / 100).\(String(format2: Int(abs(hundredths)) % 100))"
    }
}

private extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}

/// The counters shared by the stage threads.
final class StatisticsRecorder: Sendable {
    private let state = Mutex(PipelineStatistics())

    func frameIn() {
        let now = MonotonicClock.now()
        state.withLock {
            if $0.framesIn == 0 { $0.firstFrameTime = now }
            $0.framesIn += 1
        }
    }

    func stage(_ stage: PipelineStage, seconds: Double) {
        state.withLock {
            $0.stageSeconds[stage.rawValue] += seconds
            $0.stageFrames[stage.rawValue] += 1
        }
    }

    func facesRejected(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.facesRejected += UInt64(count) }
    }

    func tracking(_ work: TrackingWork) {
        state.withLock { $0.tracking = work }
    }

    func frameOut(latency: Double, faces: Int) {
        let now = MonotonicClock.now()
        state.withLock {
            $0.lastFrameTime = now
            $0.framesOut += 1
            $0.facesOut += UInt64(faces)
            if $0.recentLatencies.count == PipelineStatistics.latencyWindow { $0.recentLatencies.removeFirst() }
            $0.recentLatencies.append(latency)
        }
    }

    func snapshot(dropped: UInt64) -> PipelineStatistics {
        var copy = state.withLock { $0 }
        copy.framesDropped = dropped
        return copy
    }
}
