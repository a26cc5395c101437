import Foundation
import TestSupport
import Testing

/// Clips made with the ffmpeg command line for the tests, once per test process, in the process's temporary folder.
enum TestClips {
    static let directory = ProcessTemporaryFolder.freshFolder()

    /// Tests run in parallel; a clip is made by the first test that needs it while the others wait.
    private static let creationLock = NSLock()

    /// A `testsrc2` clip encoded with the given ffmpeg output arguments, made once and reused.
    static func clip(_ name: String, size: String, frames: Int = 24, rate: Int = 25, encoder: [String]) throws -> String {
        creationLock.lock()
        defer { creationLock.unlock() }
        let path = directory.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: path) { return path }
        try Subprocess.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)",
                           "-frames:v", String(frames)] + encoder + [path + ".partial." + (name as NSString).pathExtension])
        try FileManager.default.moveItem(atPath: path + ".partial." + (name as NSString).pathExtension, toPath: path)
        return path
    }

    /// The generated clips the decode tests run over, one codec and size each.
    enum Generated: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case h264, mjpegOddSize, vp9OddSize, mpeg4, tiny
        var testDescription: String { rawValue }
        func path() throws -> String {
            switch self {
            case .h264: try TestClips.h264()
            case .mjpegOddSize: try TestClips.mjpegOddSize()
            case .vp9OddSize: try TestClips.vp9OddSize()
            case .mpeg4: try TestClips.mpeg4()
            case .tiny: try TestClips.tiny()
            }
        }
    }

    static func h264() throws -> String {
        try clip("h264.mp4", size: "640x360", encoder: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "8"])
    }
    static func mjpegOddSize() throws -> String {
        try clip("mjpeg.avi", size: "638x479", encoder: ["-c:v", "mjpeg", "-q:v", "3"])
    }
    static func vp9OddSize() throws -> String {
        try clip("vp9.webm", size: "638x479", frames: 12,
                 encoder: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"])
    }
    static func mpeg4() throws -> String {
        try clip("mpeg4.mkv", size: "320x240", encoder: ["-c:v", "mpeg4", "-q:v", "4"])
    }
    static func tiny() throws -> String {
        try clip("tiny.mp4", size: "96x64", frames: 12, encoder: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "4"])
    }

    /// Frames counted by `ffprobe -count_frames`, the reference for every decode test.
    static func referenceFrameCount(_ path: String) throws -> Int {
        let output = try Subprocess.check("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Frame `index` as `ffmpeg -pix_fmt rgb24` converts it: packed rows, no padding.
    static func referenceRGB(_ path: String, frame index: Int) throws -> Data {
        try Subprocess.check("ffmpeg", ["-v", "error", "-i", path, "-vf", "select=eq(n\\,\(index))", "-vsync", "0",
                           "-frames:v", "1", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
    }

    /// `../shared/data/videos` beside the repository, when it is there.
    static var sharedVideos: [String] {
        let folder = Repository.sharedData.appendingPathComponent("videos")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".mp4") }.sorted().map { folder.appendingPathComponent($0).path }
    }
}
