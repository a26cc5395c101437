import Foundation
import Synchronization
import TestSupport
import Testing
@testable import VideoIngest

/// A live source: raw YUYV frames written into a FIFO at 30 fps by a helper thread, read through FFmpeg.
@Suite("Live sources deliver in time order and never build a backlog")
struct LiveSourceTests {
    static let width = 64
    static let height = 48
    static let frameCount = 45

    /// Writes `frameCount` frames at 30 fps into a new FIFO; frame n has every luma byte set to n.
    /// Returns the FIFO's path and a counter of frames written so far.
    private func startWriter() throws -> (path: String, written: Arc<Atomic<Int>>) {
        let path = TestClips.directory.appendingPathComponent("live-\(UUID().uuidString).yuyv").path
        #expect(mkfifo(path, 0o600) == 0)
        let written = Arc(Atomic<Int>(0))
        let thread = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            for index in 0..<Self.frameCount {
                let frame = Self.rawFrame(index)
                let result = frame.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard result == frame.count else { return }
                written.value.store(index + 1, ordering: .sequentiallyConsistent)
                usleep(33_333)
            }
        }
        thread.start()
        return (path, written)
    }

    /// The YUYV bytes of frame `index`: grey, with luma 16 + 4·index.
    static func rawFrame(_ index: Int) -> [UInt8] {
        var frame = [UInt8](repeating: 128, count: width * height * 2)
        for pixel in stride(from: 0, to: frame.count, by: 2) { frame[pixel] = UInt8(16 + index * 4) }
        return frame
    }

    private func openLive(_ path: String) throws -> FFmpegSource {
        try FFmpegSource(input: path, options: .init(
            inputFormat: "rawvideo",
            inputOptions: ["video_size": "\(Self.width)x\(Self.height)", "pixel_format": "yuyv422", "framerate": "30"]))
    }

    @Test("a consumer that keeps up sees the frames in time order, each one once")
    func keepsUp() throws {
        let (path, _) = try startWriter()
        let source = try openLive(path)
        #expect(source.isLive, "a FIFO is a live source")
        let reader = NewestFrameReader(source: source)
        var indices: [Int] = []
        var lastCapture = -Double.infinity
        while let frame = try reader.next() {
            #expect(frame.captureTime > lastCapture)
            lastCapture = frame.captureTime
            indices.append(frame.index)
        }
        // A consumer on a loaded machine may still miss the odd frame; none may come twice or out of order.
        #expect(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 })
        #expect(indices.count + reader.droppedFrames == Self.frameCount)
        #expect(indices.last == Self.frameCount - 1)
    }

    @Test("a stalled consumer gets the newest frame, and the ones it missed are counted as dropped")
    func stalledConsumerGetsNewest() throws {
        let (path, written) = try startWriter()
        let reader = NewestFrameReader(source: try openLive(path))
        let first = try #require(try reader.next())
        usleep(400_000)  // the consumer stalls for about twelve frame intervals
        let writtenBeforeTake = written.value.load(ordering: .sequentiallyConsistent)
        let afterStall = try #require(try reader.next())
        #expect(afterStall.index > first.index + 1, "no backlog: frames from the stall were skipped")
        #expect(afterStall.index >= writtenBeforeTake - 2, "the frame taken is the newest one, not an old one")
        // Each written frame has its own luma, so the picture shows which frame this really is.
        let raw = TestClips.directory.appendingPathComponent("live-frame-\(afterStall.index).yuyv")
        try Data(Self.rawFrame(afterStall.index)).write(to: raw)
        let reference = try Subprocess.check("ffmpeg", ["-v", "error", "-f", "rawvideo", "-pix_fmt", "yuyv422",
                                                     "-s", "\(Self.width)x\(Self.height)", "-i", raw.path,
                                                     "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        #expect(Data(afterStall.packedPixels) == reference, "frame \(afterStall.index) holds the picture written as that frame")
        var taken = 2
        while try reader.next() != nil { taken += 1 }
        #expect(taken + reader.droppedFrames == Self.frameCount)
        #expect(reader.droppedFrames > 0)
    }

    @Test("a source waiting on a quiet pipe returns nil once interrupted from another thread")
    func interruptedWhileWaiting() throws {
        let path = TestClips.directory.appendingPathComponent("quiet-\(UUID().uuidString).yuyv").path
        #expect(mkfifo(path, 0o600) == 0)
        let writerDone = Arc(Atomic<Bool>(false))
        let writer = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            let frame = Self.rawFrame(0)
            for _ in 0..<2 { _ = frame.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
            sleep(20)   // the pipe stays open and quiet, as a camera feed that hung
            writerDone.value.store(true, ordering: .sequentiallyConsistent)
            close(descriptor)
        }
        writer.start()
        let source = try openLive(path)
        #expect(try source.nextFrame() != nil)
        #expect(try source.nextFrame() != nil)
        let interruption = source.interruption
        Thread { usleep(200_000); interruption.interrupt() }.start()
        #expect(try source.nextFrame() == nil, "an interrupted source ends its stream")
        let writerFinished = writerDone.value.load(ordering: .sequentiallyConsistent)
        #expect(!writerFinished, "the read ended because of the interruption, not the writer")
        #expect(try source.nextFrame() == nil, "and stays ended")
    }
}

/// A reference box so a non-copyable `Atomic` can be shared with the writer thread.
final class Arc<Value: ~Copyable & Sendable>: Sendable where Value: Sendable {
    let value: Value
    init(_ value: consuming Value) { self.value = value }
}
