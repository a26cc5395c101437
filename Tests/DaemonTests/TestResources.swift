import Foundation
import Synchronization
import Testing
import TestSupport

/// Files the pipeline tests need: the trained regressor, the face model, the detector and a short real clip.
enum TestResources {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = repositoryRoot.appendingPathComponent("models")
    static let videos = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/videos")
    static let faceModelSource = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/face-model/ict-face-light.npz")

    /// Whether the trained regressor (models/orn.onnx + orn.json), the talking-face clips and the face model's
    /// source are all present; the pipeline tests need all three.
    static var available: Bool {
        FileManager.default.fileExists(atPath: models.appendingPathComponent("orn.onnx").path)
            && FileManager.default.fileExists(atPath: models.appendingPathComponent("orn.json").path)
            && FileManager.default.fileExists(atPath: videos.appendingPathComponent("d6.mp4").path)
            && (FileManager.default.fileExists(atPath: models.appendingPathComponent("ict-face-model.ocfm").path)
                || FileManager.default.fileExists(atPath: faceModelSource.path))
    }

    static let skipReason: Comment = "skipped: needs models/orn.onnx + orn.json (the trained regressor), ../shared/data/videos and ../shared/data/face-model (third-party data)"

    private static let prepared = Mutex<String?>(nil)

    /// A folder holding the face model, made once per test run with tools/setup-face-model.sh when models/ lacks it.
    static func faceModelPath() throws -> String {
        try prepared.withLock { path in
            if let path { return path }
            var result = models.appendingPathComponent("ict-face-model.ocfm").path
            if !FileManager.default.fileExists(atPath: result) {
                result = ProcessTemporaryFolder.freshFolder().appendingPathComponent("ict-face-model.ocfm").path
                try run("/bin/bash", [repositoryRoot.appendingPathComponent("tools/setup-face-model.sh").path, "--output", result])
            }
            path = result
            return result
        }
    }

    /// The first `frames` frames of the 480×480 talking-face clip d6.mp4, re-encoded into `folder`.
    static func clip(frames: Int, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("clip.mp4").path
        try run("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-i", videos.appendingPathComponent("d6.mp4").path, "-frames:v", "\(frames)",
                                 "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", path])
        return path
    }

    /// The first `frames` frames of d6.mp4 as an MPEG-TS stream (readable through a pipe, unlike MP4), and a FIFO in
    /// `folder` for a test to feed it through, as a live source.
    static func streamAndFIFO(frames: Int, in folder: URL) throws -> (stream: Data, fifo: String) {
        let clip = try clip(frames: frames, in: folder)
        let stream = folder.appendingPathComponent("clip.ts").path
        try run("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-i", clip, "-c", "copy", "-f", "mpegts", stream])
        let fifo = folder.appendingPathComponent("feed.fifo").path
        guard mkfifo(fifo, 0o600) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkfifo \(fifo): errno \(errno)"])
        }
        return (try Data(contentsOf: URL(fileURLWithPath: stream)), fifo)
    }

    /// Runs a tool, failing when it exits non-zero.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) exited \(process.terminationStatus)"])
        }
    }
}
