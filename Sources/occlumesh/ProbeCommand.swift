import ArgumentParser
import Foundation
import VideoIngest

/// `occlumesh probe`: opens a file, stream or camera, decodes every frame and reports what it found.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Decode every frame of a file, stream or camera and print its frame count, size, rate and codec."
    )

    @Argument(help: "A video file, a URL FFmpeg can read, a FIFO, or a V4L2 device such as /dev/video0.")
    var input: String

    @Option(help: "Stop after this many frames (useful for cameras, which never end).")
    var maxFrames: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let source: any FrameSource
        var frames = 0
        do {
            source = try openFrameSource(input)
            while maxFrames.map({ frames < $0 }) ?? true, try source.nextFrame() != nil {
                frames += 1
            }
        } catch let error as VideoIngestError {
            printError(error.description)
            throw ExitCode.failure
        }
        // A video stream that decodes to nothing (a broken sample table, say) is an error, not "frames": 0.
        guard frames > 0 || maxFrames == 0 else {
            printError("\(input): no frame decoded: the video stream holds no decodable frame")
            throw ExitCode.failure
        }
        let format = source.format
        if json {
            let report = ProbeReport(frames: frames, width: format.width, height: format.height,
                                     fps: format.framesPerSecond, codec: format.codecName)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("\(input): \(frames) frames, \(format.width)x\(format.height), "
                + "\(String(format: "%.3f", format.framesPerSecond)) fps, \(format.codecName)")
        }
    }
}

/// The JSON `occlumesh probe --json` prints.
struct ProbeReport: Codable {
    let frames: Int
    let width: Int
    let height: Int
    let fps: Double
    let codec: String
}

/// Writes one line to standard error, prefixed with the program name.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("occlumesh: \(message)\n".utf8))
}
