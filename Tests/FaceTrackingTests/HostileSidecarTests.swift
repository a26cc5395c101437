import FaceTracking
import Foundation
import Testing
import VideoIngest

/// Sidecar numbers chosen by an attacker (or a damaged file): each must be refused with an error at load, and
/// crops of absurd regions must come out black instead of trapping.
@Suite("hostile detector sidecars and crop regions")
struct HostileSidecarTests {
    static let detectorSidecar = DetectorFixtures.detectorSidecar()

    /// Writes `source` with `change` applied to its JSON into a temporary file beside nothing; returns the path.
    static func mutated(_ source: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source))) as! [String: Any]
        change(&json)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("occlumesh-hostile-\(getpid())-\(UUID().uuidString.prefix(8)).json").path
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func withDecoding(_ key: String, _ value: Any) throws -> String {
        try mutated(detectorSidecar) { json in
            var decoding = json["decoding"] as! [String: Any]
            decoding[key] = value
            json["decoding"] = decoding
        }
    }

    @Test("decoding numbers of 2^63-1, negative or huge are refused at load", arguments: [
        ("num_coords", Int.max), ("num_keypoints", Int.max), ("box_coord_offset", Int.max),
        ("keypoint_coord_offset", Int.max), ("num_values_per_keypoint", Int.max),
        ("num_coords", -16), ("num_keypoints", -1), ("box_coord_offset", -4), ("keypoint_coord_offset", -2),
        ("num_coords", 1 << 40),
    ])
    func decodingNumbers(key: String, value: Int) throws {
        let path = try Self.withDecoding(key, value)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: FaceTrackingError.self) { try DetectorSpecification.load(path: path) }
        #expect(throws: FaceTrackingError.self) { try FaceDetector(sidecarPath: path) }
    }

    @Test("input shapes that are negative, zero or huge are refused at load", arguments: [
        [1, 3, -128, 128], [1, 3, 0, 0], [1, 3, Int.max, Int.max], [1, 3, 1 << 32, 1 << 32],
    ])
    func inputShape(shape: [Int]) throws {
        let path = try Self.mutated(Self.detectorSidecar) { json in
            var input = json["input"] as! [String: Any]
            input["shape"] = shape
            json["input"] = input
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: FaceTrackingError.self) { try DetectorSpecification.load(path: path) }
    }

    @Test("a crop region of any size, place or NaN comes out black instead of trapping", arguments: [
        CropRegion(centre: SIMD2(50, 50), side: 1e30),
        CropRegion(centre: SIMD2(1e30, -1e30), side: 100),
        CropRegion(centre: SIMD2(50, 50), side: .infinity),
        CropRegion(centre: SIMD2(.nan, 50), side: 100),
        CropRegion(centre: SIMD2(50, 50), side: 100, rotation: .nan),
        CropRegion(centre: SIMD2(9.3e18, 9.3e18), side: 10),
    ])
    func absurdRegions(region: CropRegion) {
        let cropper = FaceCropper(size: 16, normalisation: .identity)
        let frame = DetectorFixtures.frame(width: 100, height: 80) { _, _ in SIMD3(200, 100, 50) }
        var crop = [Float](repeating: -1, count: cropper.elementCount)
        cropper.crop(frame, transform: cropper.transform(for: region), into: &crop)
        #expect(crop.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 200 })
    }
}
