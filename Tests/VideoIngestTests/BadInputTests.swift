import Foundation
import Testing
@testable import VideoIngest
import TestSupport

@Suite("Bad input ends in a typed, one-line error")
struct BadInputTests {
    private func write(_ bytes: [UInt8], named name: String) throws -> String {
        let path = TestClips.directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func openError(_ path: String) -> VideoIngestError? {
        do {
            _ = try FFmpegSource(input: path)
            return nil
        } catch let error as VideoIngestError {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix(path))
            return error
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    @Test func missingFile() {
        #expect(openError("/nonexistent/clip.mp4") == .fileNotFound(path: "/nonexistent/clip.mp4"))
    }

    @Test func directory() {
        let path = TestClips.directory.path
        #expect(openError(path) == .isDirectory(path: path))
    }

    @Test func zeroByteFile() throws {
        let path = try write([], named: "empty.mp4")
        #expect(openError(path) == .emptyFile(path: path))
    }

    @Test func randomBytes() throws {
        var generator = SeededGenerator(seed: 7)
        let path = try write((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }, named: "random.bin")
        guard case .unrecognizedFormat = openError(path) else {
            Issue.record("random bytes should not be recognised")
            return
        }
    }

    @Test func noVideoStream() throws {
        let path = TestClips.directory.appendingPathComponent("tone.wav").path
        try Subprocess.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=0.5", path])
        #expect(openError(path) == .noVideoStream(input: path))
    }

    @Test func unsupportedCodec() throws {
        // A Matroska file whose codec id no FFmpeg build knows: the H.264 id with its letters replaced.
        let clip = try Data(contentsOf: URL(fileURLWithPath: try TestClips.clip(
            "for-unknown-codec.mkv", size: "64x48", frames: 3, encoder: ["-c:v", "libx264", "-pix_fmt", "yuv420p"])))
        let known = Data("V_MPEG4/ISO/AVC".utf8)
        let range = try #require(clip.range(of: known))
        var patched = clip
        patched.replaceSubrange(range, with: Data("V_XXXXX/ISO/AVC".utf8))
        let path = try write([UInt8](patched), named: "unknown-codec.mkv")
        guard case .unsupportedCodec = openError(path) else {
            Issue.record("expected unsupportedCodec")
            return
        }
    }

    @Test func truncatedClipGivesFramesOrACleanError() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: try TestClips.clip(
            "truncate-me.ts", size: "96x64", frames: 40, encoder: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"])))
        let path = try write([UInt8](whole.prefix(whole.count / 2)), named: "truncated.ts")
        let source = try FFmpegSource(input: path)
        var count = 0
        while try source.nextFrame() != nil { count += 1 }
        #expect(count > 0 && count < 40, "half a transport stream holds some but not all frames")
    }

    /// Mutated and truncated copies of real clips: each must end in frames or a `VideoIngestError`,
    /// never a crash, a hang or an untyped error.
    @Test("seeded fuzz of mutated and truncated clips", arguments: [TestClips.Generated.tiny, .mjpegOddSize])
    func fuzzedClips(clip: TestClips.Generated) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try clip.path())))
        var generator = SeededGenerator(seed: 2026)
        var outcomes = (frames: 0, errors: 0)
        for caseIndex in 0..<150 {
            var bytes = original
            switch caseIndex % 3 {
            case 0:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 1:
                for _ in 0..<Int.random(in: 1...40, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            default:
                let start = Int.random(in: 0..<bytes.count, using: &generator)
                let length = min(Int.random(in: 1...4096, using: &generator), bytes.count - start)
                bytes.replaceSubrange(start..<(start + length), with: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            let path = try write(bytes, named: "fuzz-\(clip.rawValue)-\(caseIndex)")
            do {
                let source = try FFmpegSource(input: path)
                var frames = 0
                while try source.nextFrame() != nil, frames < 1000 { frames += 1 }
                outcomes.frames += 1
            } catch is VideoIngestError {
                outcomes.errors += 1
            }
        }
        #expect(outcomes.frames + outcomes.errors == 150)
        #expect(outcomes.frames > 0 && outcomes.errors > 0, "the mutations should produce both outcomes: \(outcomes)")
    }
}
