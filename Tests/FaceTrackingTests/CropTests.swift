import FaceTracking
import Foundation
import VideoIngest
import XCTest

/// Crops cut from synthetic frames of known geometry, and the convention read from a regressor sidecar.
final class CropTests: XCTestCase {
    private var sidecarPath: String { TestSupport.fixtures.appendingPathComponent("orn-sidecar.json").path }

    /// A convention with the identity normalisation (value = pixel), so crops can be read as pixels.
    private func plainConvention(size: Int) -> CropConvention {
        CropConvention(size: size, normalisation: .init(scale: 1, mean: [0, 0, 0], std: [1, 1, 1]),
                       framing: .init(landmarks: .init(sideScale: Float(2).squareRoot(), centreShift: .zero),
                                      detection: .init(sideScale: 1.5, centreShift: SIMD2(0, 0.1))))
    }

    /// Red = x, green = y, blue = 7: a frame whose every pixel says where it is.
    private let ramp = TestSupport.frame(width: 200, height: 150) { x, y in SIMD3(UInt8(x), UInt8(y), 7) }

    private func value(_ crop: [Float], size: Int, channel: Int, _ u: Int, _ v: Int) -> Float {
        crop[(channel * size + v) * size + u]
    }

    func testSidecarConventionIsRead() throws {
        let convention = try CropConvention.load(path: sidecarPath)
        XCTAssertEqual(convention.size, 128)
        XCTAssertEqual(convention.normalisation.scale * 255, 1, accuracy: 1e-6)
        XCTAssertEqual(convention.normalisation.mean, [0.5, 0.5, 0.5])
        XCTAssertEqual(convention.framing.landmarks.sideScale, 1.4142135)
        XCTAssertEqual(convention.framing.detection.centreShift, [0, 0.0532])
    }

    func testSidecarWithoutFramingIsRefusedNamingTheKey() throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sidecarPath))) as! [String: Any]
        var crop = json["crop"] as! [String: Any]
        crop["framing"] = nil
        json["crop"] = crop
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("orn-\(getpid())-noframing.json")
        defer { try? FileManager.default.removeItem(at: path) }
        try JSONSerialization.data(withJSONObject: json).write(to: path)
        XCTAssertThrowsError(try CropConvention.load(path: path.path)) { error in
            XCTAssertTrue("\(error)".contains("crop.framing"), "\(error)")
        }
        XCTAssertThrowsError(try CropConvention.load(path: "/nonexistent/orn.json")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/orn.json: cannot read the regressor's crop convention (cannot read the file)")
        }
    }

    func testOneToOneCropCopiesPixelsAndNormalises() throws {
        let convention = try CropConvention.load(path: sidecarPath)
        let cropper = FaceCropper(convention: convention)
        // A 128-pixel region with its corner on pixel (10, 20): crop pixel (u, v) is frame pixel (10 + u, 20 + v).
        let region = CropRegion(centre: SIMD2(10 + 64, 20 + 64), side: 128)
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: cropper.transform(for: region), into: &crop)
        for (u, v) in [(0, 0), (5, 9), (127, 127), (60, 100)] {
            let x = 10 + u, y = 20 + v
            XCTAssertEqual(value(crop, size: 128, channel: 0, u, v), (Float(x) / 255 - 0.5) / 0.5, accuracy: 1e-5)
            XCTAssertEqual(value(crop, size: 128, channel: 1, u, v), (Float(y) / 255 - 0.5) / 0.5, accuracy: 1e-5)
            XCTAssertEqual(value(crop, size: 128, channel: 2, u, v), (7 / 255 - 0.5) / 0.5, accuracy: 1e-5)
        }
    }

    func testHalvingSamplesBetweenPixelCentres() {
        let cropper = FaceCropper(convention: plainConvention(size: 32))
        // Side 64 from (30, 40): crop pixel u's centre is image x = 30 + 2u + 1, between pixels 30 + 2u and 31 + 2u.
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: cropper.transform(for: CropRegion(centre: SIMD2(62, 72), side: 64)), into: &crop)
        for u in [0, 7, 31] {
            XCTAssertEqual(value(crop, size: 32, channel: 0, u, 3), Float(30 + 2 * u) + 0.5, accuracy: 1e-4)
            XCTAssertEqual(value(crop, size: 32, channel: 1, 3, u), Float(40 + 2 * u) + 0.5, accuracy: 1e-4)
        }
    }

    func testQuarterTurnCropTurnsThePicture() {
        let cropper = FaceCropper(convention: plainConvention(size: 40))
        let region = CropRegion(centre: SIMD2(100, 75), side: 40, rotation: .pi / 2)
        let transform = cropper.transform(for: region)
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        cropper.crop(ramp, transform: transform, into: &crop)
        // Rotated by 90°: moving right in the crop moves down in the image, moving down moves left.
        for (u, v) in [(0, 0), (10, 30), (39, 5)] {
            let image = transform.imagePoint(crop: SIMD2(Float(u) + 0.5, Float(v) + 0.5)) - 0.5
            XCTAssertEqual(value(crop, size: 40, channel: 0, u, v), image.x, accuracy: 1e-3, "(\(u), \(v))")
            XCTAssertEqual(value(crop, size: 40, channel: 1, u, v), image.y, accuracy: 1e-3, "(\(u), \(v))")
        }
        XCTAssertEqual(value(crop, size: 40, channel: 1, 1, 0) - value(crop, size: 40, channel: 1, 0, 0), 1, accuracy: 1e-3)
        XCTAssertEqual(value(crop, size: 40, channel: 0, 0, 1) - value(crop, size: 40, channel: 0, 0, 0), -1, accuracy: 1e-3)
        // And the transform maps back.
        let point = SIMD2<Float>(12.25, 31.5)
        let back = transform.cropPoint(image: transform.imagePoint(crop: point))
        XCTAssertEqual(back.x, point.x, accuracy: 1e-4)
        XCTAssertEqual(back.y, point.y, accuracy: 1e-4)
    }

    func testOutsideTheFrameIsBlack() {
        let cropper = FaceCropper(convention: plainConvention(size: 16))
        var crop = [Float](repeating: .nan, count: cropper.elementCount)
        // Half of this region lies left of the frame.
        cropper.crop(ramp, transform: cropper.transform(for: CropRegion(centre: SIMD2(0, 75), side: 16)), into: &crop)
        XCTAssertEqual(value(crop, size: 16, channel: 2, 0, 8), 0)
        XCTAssertEqual(value(crop, size: 16, channel: 2, 6, 8), 0)
        XCTAssertEqual(value(crop, size: 16, channel: 2, 15, 8), 7, accuracy: 1e-5)
        XCTAssertFalse(crop.contains { $0.isNaN })
    }

    func testFramingOnLandmarksAndOnDetections() throws {
        let convention = plainConvention(size: 120)
        // Landmarks spanning 100 × 80 around (150, 90): a √2 · 100 square on the same centre.
        let landmarks: [SIMD2<Float>] = [SIMD2(100, 50), SIMD2(200, 130), SIMD2(140, 90)]
        let fromLandmarks = try XCTUnwrap(convention.region(landmarks: landmarks))
        XCTAssertEqual(fromLandmarks.centre, SIMD2(150, 90))
        XCTAssertEqual(fromLandmarks.side, 100 * Float(2).squareRoot(), accuracy: 1e-4)
        XCTAssertNil(convention.region(landmarks: []))
        // A 60-pixel detection box: side 90, centre 6 pixels lower.
        let fromDetection = convention.region(detection: BoundingBox(minimum: SIMD2(10, 20), maximum: SIMD2(70, 80)))
        XCTAssertEqual(fromDetection.side, 90, accuracy: 1e-4)
        XCTAssertEqual(fromDetection.centre.y, 56, accuracy: 1e-4)
        // The crop transform puts the region's corners on the crop's corners.
        let transform = fromDetection.transform(cropSize: 120)
        XCTAssertEqual(transform.imagePoint(crop: .zero), fromDetection.box.minimum)
        let corner = transform.imagePoint(crop: SIMD2(120, 120))
        XCTAssertEqual(corner.x, fromDetection.box.maximum.x, accuracy: 1e-4)
        XCTAssertEqual(corner.y, fromDetection.box.maximum.y, accuracy: 1e-4)
    }
}
