import FaceTracking
import Foundation
import VideoIngest

/// Paths and frame builders shared by the detector, crop and tracker tests.
enum TestSupport {
    /// The repository root (three levels above this file).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The committed detector models.
    static let models = repositoryRoot.appendingPathComponent("models")
    /// Golden files recorded by tools/make-detector-goldens.py.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Third-party data beside the clone (`../shared/data`); tests that need it skip when it is absent.
    static let data = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The sidecar path of a committed detector (`short_range` or `full_range`).
    static func detectorSidecar(_ range: String = "short_range") -> String {
        models.appendingPathComponent("face_detection_\(range).json").path
    }

    /// Whether a data folder below `../shared/data` is present (for Swift Testing's `.enabled(if:)`).
    static func hasData(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: data.appendingPathComponent(relativePath).path)
    }

    /// A frame whose pixel (x, y) is `colour(x, y)`, rows padded to `bytesPerRow` with 0xAB bytes that must never be read.
    static func frame(width: Int, height: Int, padding: Int = 13, index: Int = 0,
                      colour: (Int, Int) -> SIMD3<UInt8>) -> VideoFrame {
        let bytesPerRow = width * 3 + padding
        var pixels = [UInt8](repeating: 0xAB, count: bytesPerRow * height)
        for y in 0..<height {
            for x in 0..<width {
                let value = colour(x, y)
                let offset = y * bytesPerRow + x * 3
                pixels[offset] = value.x
                pixels[offset + 1] = value.y
                pixels[offset + 2] = value.z
            }
        }
        return VideoFrame(index: index, presentationTime: Double(index) / 30, captureTime: 0, width: width, height: height,
                          layout: .rgb24, bytesPerRow: bytesPerRow, pixels: pixels)
    }

    /// Runs a command line tool and returns its standard output, or throws with its standard error.
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(errorText)")
        }
        return data
    }

    /// A helper tool that failed.
    struct ToolFailure: Error, CustomStringConvertible {
        let description: String
    }
}
