import FacePipeline
import FaceTracking
import Foundation
import MonotonicTime
import Synchronization
import Testing
import VideoIngest

/// A file-like source of grey frames at the given presentation times, then the end.
final class ScriptedSource: FrameSource {
    let times: [Double]
    private var next = 0
    let interruption = SourceInterruption()

    init(times: [Double]) { self.times = times }

    var format: VideoFormat { VideoFormat(width: 64, height: 48, framesPerSecond: 30, codecName: "scripted") }
    var isLive: Bool { false }

    func nextFrame() throws -> VideoFrame? {
        guard next < times.count else { return nil }
        defer { next += 1 }
        return VideoFrame(index: next, presentationTime: times[next], captureTime: MonotonicClock.now(), width: 64, height: 48,
                          layout: .rgb24, bytesPerRow: 64 * 3, pixels: [UInt8](repeating: 128, count: 64 * 48 * 3))
    }
}

/// Sources that misbehave: a timestamp gap under `--realtime`, a file that yields no frame.
@Suite("hostile sources", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct HostileSourceTests {
    /// `pipeline.wait()` on a thread of its own: `done` is signalled when it returns, with its result in `failure`.
    final class BackgroundWait: Sendable {
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<PipelineError?>(nil)
        init(_ pipeline: Pipeline) {
            Thread { [self] in
                let result = pipeline.wait()
                failure.withLock { $0 = result }
                done.signal()
            }.start()
        }
    }

    @Test("stop interrupts a --realtime sleep across a timestamp gap of 100,000 s")
    func stopDuringRealtimeGap() throws {
        var settings = try PipelineTests.settings()
        settings.realtime = true
        let sink = CollectingSink()
        // 10 frames at 30 fps, then a jump of 100,000 s.
        let source = ScriptedSource(times: (0..<10).map { Double($0) / 30 } + [100_000, 100_000.033])
        let pipeline = try Pipeline(source: source, inputName: "gap", settings: settings,
                                    models: try PipelineModels(settings: settings), sink: sink)
        pipeline.run()
        let deadline = Date().addingTimeInterval(20)
        while sink.frames.withLock({ $0.count }) < 10, Date() < deadline { usleep(10_000) }
        #expect(sink.frames.withLock { $0.count } == 10, "the frames before the gap arrive")
        let waiting = BackgroundWait(pipeline)
        pipeline.stop()
        #expect(waiting.done.wait(timeout: .now() + 10) == .success, "the pipeline ends after stop() instead of sleeping out the gap")
        #expect(waiting.failure.withLock { $0 } == nil)
        // The frame read before the gap was never handed on: it is not counted in, so the counters still add up.
        let statistics = pipeline.statistics
        #expect(statistics.framesIn == statistics.framesOut + statistics.framesDropped, "\(statistics)")
    }

    @Test("a source that ends before its first frame is a failure naming the input, not a success")
    func noFrame() throws {
        let settings = try PipelineTests.settings()
        let pipeline = try Pipeline(source: ScriptedSource(times: []), inputName: "empty.mp4", settings: settings,
                                    models: try PipelineModels(settings: settings), sink: CollectingSink())
        pipeline.run()
        let waiting = BackgroundWait(pipeline)
        #expect(waiting.done.wait(timeout: .now() + 20) == .success)
        let error = try #require(waiting.failure.withLock { $0 }, "no frame decoded must be an error")
        #expect("\(error)".contains("empty.mp4") && "\(error)".contains("no frame"), "\(error)")
    }
}
