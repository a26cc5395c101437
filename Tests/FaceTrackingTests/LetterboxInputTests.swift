import FaceTracking
import Foundation
import VideoIngest
import TestSupport
import Testing

/// The detector's input as built from frames of known content: letterbox placement, padding value,
/// area averaging when shrinking, and row padding never read.
@Suite("detector input letterbox")
struct LetterboxInputTests {
    private func input(of frame: VideoFrame) throws -> (values: [Float], detector: FaceDetector) {
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        _ = try detector.detect(in: frame)
        return (detector.lastInput, detector)
    }

    @Test("a wide frame is centred with black bands above and below")
    func wideFrameIsCentredWithBlackBandsAboveAndBelow() throws {
        // 256×128 of one colour: scaled by ½ into 128×64, centred, rows 0..<32 and 96..<128 black.
        let colour = SIMD3<UInt8>(200, 100, 50)
        let (values, detector) = try input(of: DetectorFixtures.frame(width: 256, height: 128) { _, _ in colour })
        let normalization = detector.specification.input.normalization
        let black = normalization.offset
        for channel in 0..<3 {
            let expected = Float(colour[channel]) * normalization.scale + normalization.offset
            for y in 0..<128 {
                for x in 0..<128 {
                    let value = values[(channel * 128 + y) * 128 + x]
                    #expect(abs(value - ((32..<96).contains(y) ? expected : black)) <= 1e-5, "channel \(channel) (\(x), \(y))")
                }
            }
        }
    }

    @Test("shrinking averages the covered pixels")
    func shrinkingAveragesTheCoveredPixels() throws {
        // A one-pixel checkerboard of 0 and 255 halved: every input pixel covers two of each, mean 127.5 → 0.
        let (values, _) = try input(of: DetectorFixtures.frame(width: 256, height: 256) { x, y in
            (x + y) % 2 == 0 ? SIMD3(repeating: 255) : SIMD3(repeating: 0)
        })
        #expect((values.map(abs).max() ?? 1) <= 1e-5)
    }

    @Test("growing interpolates between pixel centres")
    func growingInterpolatesBetweenPixelCentres() throws {
        // 64×64 → 128×128: a horizontal ramp 0, 4, 8, … becomes 0, 0, 1, 3, 5, … (centre of input x at source x/2 − ¼).
        let (values, detector) = try input(of: DetectorFixtures.frame(width: 64, height: 64) { x, _ in SIMD3(repeating: UInt8(4 * x)) })
        let normalization = detector.specification.input.normalization
        let pixel = { (x: Int) in (values[40 * 128 + x] - normalization.offset) / normalization.scale }
        #expect(abs(pixel(0) - 0) <= 1e-3)
        #expect(abs(pixel(2) - 3) <= 1e-3)
        #expect(abs(pixel(3) - 5) <= 1e-3)
        #expect(abs(pixel(127) - 252) <= 1e-3)
    }

    @Test("row padding is never read and a change of frame size rebuilds the tables")
    func rowPaddingAndFrameSizeChangesAreHandled() throws {
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        // Padding bytes are 0xAB; a black frame must stay black everywhere.
        _ = try detector.detect(in: DetectorFixtures.frame(width: 300, height: 200, padding: 61) { _, _ in .zero })
        #expect(abs((detector.lastInput.max() ?? 0) - detector.specification.input.normalization.offset) <= 1e-6)
        // Then a differently sized white frame: the tables are rebuilt, the square fills the input.
        _ = try detector.detect(in: DetectorFixtures.frame(width: 90, height: 90, padding: 3) { _, _ in SIMD3(repeating: 255) })
        #expect(abs((detector.lastInput.min() ?? 0) - 1) <= 1e-5)
    }

    @Test("boxes come back in image pixels", .enabled(if: Repository.hasSharedData("aflw2000-3d"), "needs ../shared/data/aflw2000-3d (third-party data)"))
    func boxesComeBackInImagePixels() throws {
        // A real face, placed in a larger grey canvas at a known offset: the box moves with it.
        let folder = Repository.sharedData.appendingPathComponent("aflw2000-3d")
        let source = try FFmpegSource(input: folder.appendingPathComponent("images/image00002.jpg").path)
        let face = try #require(try source.nextFrame())
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        let alone = try #require(try detector.detect(in: face).first)
        let offset = SIMD2(300, 40)
        let canvas = DetectorFixtures.frame(width: 1000, height: 600) { x, y in
            let inside = SIMD2(x, y) &- offset
            guard inside.x >= 0, inside.y >= 0, inside.x < face.width, inside.y < face.height else { return SIMD3(repeating: 128) }
            let index = inside.y * face.bytesPerRow + inside.x * 3
            return SIMD3(face.pixels[index], face.pixels[index + 1], face.pixels[index + 2])
        }
        let placed = try #require(try detector.detect(in: canvas).first)
        let moved = BoundingBox(minimum: alone.box.minimum + SIMD2<Float>(offset), maximum: alone.box.maximum + SIMD2<Float>(offset))
        #expect(placed.box.intersectionOverUnion(moved) > 0.8, "\(placed.box) vs \(moved)")
    }
}
