import Foundation
import Synchronization
import TestSupport
import Testing
@testable import VideoIngest

/// A live source: raw YUYV frames written into a FIFO at 30 fps by a helper thread, read through FFmpeg.
@Suite("Live sources deliver in time order and stop when interrupted")
struct LiveSourceTests {
    static let width = 64
    static let height = 48
    static let frameCount = 45

    /// Writes `frameCount` frames at 30 fps into a new FIFO; frame n has every luma byte set to n.
    /// Returns the FIFO's path.
    private func startWriter() throws -> String {
        let path = TestClips.directory.appendingPathComponent("live-\(UUID().uuidString).yuyv").path
        #expect(mkfifo(path, 0o600) == 0)
        let thread = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            for index in 0..<Self.frameCount {
                let frame = Self.rawFrame(index)
                let result = frame.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard result == frame.count else { return }
                usleep(33_333)
            }
        }
        thread.start()
        return path
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

    @Test("a live source delivers every frame once, in time order, each holding the picture written as it")
    func deliversInTimeOrder() throws {
        let path = try startWriter()
        let source = try openLive(path)
        #expect(source.isLive, "a FIFO is a live source")
        var indices: [Int] = []
        var lastCapture = -Double.infinity
        while let frame = try source.nextFrame() {
            #expect(frame.captureTime > lastCapture)
            lastCapture = frame.captureTime
            indices.append(frame.index)
            guard frame.index == Self.frameCount / 2 else { continue }
            // Each written frame has its own luma, so the picture shows which frame this really is.
            let raw = TestClips.directory.appendingPathComponent("live-frame-\(frame.index).yuyv")
            try Data(Self.rawFrame(frame.index)).write(to: raw)
            let reference = try Subprocess.check("ffmpeg", ["-v", "error", "-f", "rawvideo", "-pix_fmt", "yuyv422",
                                                         "-s", "\(Self.width)x\(Self.height)", "-i", raw.path,
                                                         "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
            #expect(Data(frame.packedPixels) == reference, "frame \(frame.index) holds the picture written as that frame")
        }
        #expect(indices == Array(0..<Self.frameCount))
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
