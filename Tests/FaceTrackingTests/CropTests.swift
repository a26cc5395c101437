import FaceTracking
import Foundation
import Testing
import VideoIngest

/// Crops cut from synthetic frames of known geometry, and crops framed on landmarks and detector boxes.
@Suite("crops")
struct CropTests {
    /// The shipped regressor's normalisation: `(pixel / 255 − 0.5) / 0.5`.
    static let regressorNormalisation = PixelNormalisation(scale: 1 / 255, mean: SIMD3(repeating: 0.5),
                                                           standardDeviation: SIMD3(repeating: 0.5))
    static let framing = CropFramings(landmarks: CropFraming(sideScale: Float(2).squareRoot(), centreShift: .zero),
                                      detection: CropFraming(sideScale: 1.5, centreShift: SIMD2(0, 0.1)))

    /// Red = x, green = y, blue = 7: a frame whose every pixel says where it is.
    private let ramp = DetectorFixtures.frame(width: 200, height: 150) { x, y in SIMD3(UInt8(x), UInt8(y), 7) }

    private func value(_ crop: [Float], size: Int, channel: Int, _ u: Int, _ v: Int) -> Float {
        crop[(channel * size + v) * size + u]
    }

    @Test("a one-to-one crop copies pixels and normalises them")
    func oneToOneCropCopiesPixelsAndNormalises() {
        let cropper = FaceCropper(size: 128, normalisation: Self.regressorNormalisation)
        // A 128-pixel region with its corner on pixel (10, 20): crop pixel (u, v) is frame pixel (10 + u, 20 + v).
        let region = CropRegion(centre: SIMD2(10 + 64, 20 + 64), side: 128)
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: cropper.transform(for: region), into: &crop)
        for (u, v) in [(0, 0), (5, 9), (127, 127), (60, 100)] {
            let x = 10 + u, y = 20 + v
            #expect(abs(value(crop, size: 128, channel: 0, u, v) - (Float(x) / 255 - 0.5) / 0.5) <= 1e-5)
            #expect(abs(value(crop, size: 128, channel: 1, u, v) - (Float(y) / 255 - 0.5) / 0.5) <= 1e-5)
            #expect(abs(value(crop, size: 128, channel: 2, u, v) - (7 / 255 - 0.5) / 0.5) <= 1e-5)
        }
    }

    @Test("halving samples between pixel centres")
    func halvingSamplesBetweenPixelCentres() {
        let cropper = FaceCropper(size: 32, normalisation: .identity)
        // Side 64 from (30, 40): crop pixel u's centre is image x = 30 + 2u + 1, between pixels 30 + 2u and 31 + 2u.
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: cropper.transform(for: CropRegion(centre: SIMD2(62, 72), side: 64)), into: &crop)
        for u in [0, 7, 31] {
            #expect(abs(value(crop, size: 32, channel: 0, u, 3) - (Float(30 + 2 * u) + 0.5)) <= 1e-4)
            #expect(abs(value(crop, size: 32, channel: 1, 3, u) - (Float(40 + 2 * u) + 0.5)) <= 1e-4)
        }
    }

    @Test("a quarter-turn crop turns the picture")
    func quarterTurnCropTurnsThePicture() {
        let cropper = FaceCropper(size: 40, normalisation: .identity)
        let region = CropRegion(centre: SIMD2(100, 75), side: 40, rotation: .pi / 2)
        let transform = cropper.transform(for: region)
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: transform, into: &crop)
        // Rotated by 90°: moving right in the crop moves down in the image, moving down moves left.
        for (u, v) in [(0, 0), (10, 30), (39, 5)] {
            let image = transform.imagePoint(crop: SIMD2(Float(u) + 0.5, Float(v) + 0.5)) - 0.5
            #expect(abs(value(crop, size: 40, channel: 0, u, v) - image.x) <= 1e-3, "(\(u), \(v))")
            #expect(abs(value(crop, size: 40, channel: 1, u, v) - image.y) <= 1e-3, "(\(u), \(v))")
        }
        #expect(abs(value(crop, size: 40, channel: 1, 1, 0) - value(crop, size: 40, channel: 1, 0, 0) - 1) <= 1e-3)
        #expect(abs(value(crop, size: 40, channel: 0, 0, 1) - value(crop, size: 40, channel: 0, 0, 0) + 1) <= 1e-3)
        // And the transform maps back.
        let point = SIMD2<Float>(12.25, 31.5)
        let back = transform.cropPoint(image: transform.imagePoint(crop: point))
        #expect(abs(back.x - point.x) <= 1e-4)
        #expect(abs(back.y - point.y) <= 1e-4)
    }

    @Test("outside the frame is black")
    func outsideTheFrameIsBlack() {
        let cropper = FaceCropper(size: 16, normalisation: .identity)
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        // Half of this region lies left of the frame.
        cropper.crop(ramp, transform: cropper.transform(for: CropRegion(centre: SIMD2(0, 75), side: 16)), into: &crop)
        #expect(value(crop, size: 16, channel: 2, 0, 8) == 0)
        #expect(value(crop, size: 16, channel: 2, 6, 8) == 0)
        #expect(abs(value(crop, size: 16, channel: 2, 15, 8) - 7) <= 1e-5)
        #expect(!crop.contains { $0.isNaN })
    }

    @Test("framing on landmarks and on detections")
    func framingOnLandmarksAndOnDetections() throws {
        let framing = Self.framing
        // Landmarks spanning 100 × 80 around (150, 90): a √2 · 100 square on the same centre.
        let landmarks: [SIMD2<Float>] = [SIMD2(100, 50), SIMD2(200, 130), SIMD2(140, 90)]
        let fromLandmarks = try #require(framing.region(landmarks: landmarks))
        #expect(fromLandmarks.centre == SIMD2(150, 90))
        #expect(abs(fromLandmarks.side - 100 * Float(2).squareRoot()) <= 1e-4)
        #expect(framing.region(landmarks: []) == nil)
        // A 60-pixel detection box: side 90, centre 6 pixels lower.
        let fromDetection = framing.region(detection: BoundingBox(minimum: SIMD2(10, 20), maximum: SIMD2(70, 80)))
        #expect(abs(fromDetection.side - 90) <= 1e-4)
        #expect(abs(fromDetection.centre.y - 56) <= 1e-4)
        // The crop transform puts the region's corners on the crop's corners.
        let transform = fromDetection.transform(cropSize: 120)
        #expect(transform.imagePoint(crop: .zero) == fromDetection.box.minimum)
        let corner = transform.imagePoint(crop: SIMD2(120, 120))
        #expect(abs(corner.x - fromDetection.box.maximum.x) <= 1e-4)
        #expect(abs(corner.y - fromDetection.box.maximum.y) <= 1e-4)
    }
}
