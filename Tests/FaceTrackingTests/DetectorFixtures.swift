import FaceTracking
import Foundation
import TestSupport
import VideoIngest

/// The detector models, golden files and frame builders of the detector, crop and tracker tests; paths to the
/// repository and to `../shared/data` come from TestSupport's `Repository`.
enum DetectorFixtures {
    /// The committed detector models.
    static let models = Repository.root.appendingPathComponent("models")
    /// Golden files recorded by tools/make-detector-goldens.py.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The sidecar path of a committed detector (`short_range` or `full_range`).
    static func detectorSidecar(_ range: String = "short_range") -> String {
        models.appendingPathComponent("face_detection_\(range).json").path
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
}
