import FaceModel
import FaceTracking
import Foundation
import Testing
import VideoIngest
@testable import FaceRegression

/// The shipped regressor against onnxruntime's outputs on the same crop (recorded by
/// `tools/make-regressor-fixture.py`).
@Suite("FaceRegressor on the shipped ORN model")
struct FaceRegressorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let modelPath = root.appendingPathComponent("models/orn.onnx").path
    static let fixturePath = root.appendingPathComponent("Tests/FaceRegressionTests/Fixtures/orn-reference.json").path
    static let modelExists = FileManager.default.fileExists(atPath: modelPath)

    struct Reference: Decodable {
        let model_sha256: String
        let outputs: [String: [Float]]
    }

    /// The same picture as `crop_pattern` in tools/make-regressor-fixture.py.
    static func cropPattern(side: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for row in 0..<side {
            for column in 0..<side {
                let index = (row * side + column) * 3
                pixels[index] = UInt8((row * 7 + column * 3) % 256)
                pixels[index + 1] = UInt8((row * 5 + column * 11) % 256)
                pixels[index + 2] = UInt8((row * 13 + column) % 256)
            }
        }
        return pixels
    }

    /// The regressor's answer on `cropPattern` given as a frame of the crop's size, cut one to one (crop pixel (u, v)
    /// samples frame pixel (u, v) at its centre) straight into the network's input.
    static func regressPattern(_ regressor: FaceRegressor) throws -> RegressedFace {
        let side = regressor.specification.crop.size
        let frame = VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: side, height: side, layout: .rgb24,
                               bytesPerRow: side * 3, pixels: cropPattern(side: side))
        let region = CropRegion(centre: SIMD2(repeating: Float(side) / 2), side: Float(side))
        return try regressor.regress(frame, transform: regressor.cropper.transform(for: region))
    }

    private func loadRegressor() throws -> FaceRegressor {
        try FaceRegressor(modelPath: Self.modelPath, specificationPath: Self.modelPath.replacingOccurrences(of: ".onnx", with: ".json"))
    }

    @Test("outputs match onnxruntime and read as a valid face", .enabled(if: modelExists, "models/orn.onnx has not been exported yet"))
    func matchesOnnxRuntime() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixturePath)))
        // The exporter writes the model's sha256 into the sidecar; the fixture records the one it was made for.
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: Self.modelPath.replacingOccurrences(of: ".onnx", with: ".json")))) as? [String: Any]
        try #require(reference.model_sha256 == sidecar?["onnx_sha256"] as? String,
                     "the fixture was recorded for another orn.onnx: run tools/make-regressor-fixture.py")
        let regressor = try loadRegressor()
        let side = regressor.specification.crop.size
        let face = try Self.regressPattern(regressor)
        func expectClose(_ ours: [Float], _ theirs: [Float]?, _ name: String) {
            guard let theirs else { Issue.record("fixture lacks \(name)"); return }
            let scale = max(theirs.map(abs).max() ?? 1, 1)
            let difference = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
            #expect(ours.count == theirs.count && difference <= 1e-4 * scale, "\(name): max difference \(difference)")
        }
        expectClose(face.identity, reference.outputs["identity"], "identity")
        expectClose(face.expression, reference.outputs["expression"], "expression")
        expectClose(face.visibility, reference.outputs["visibility"], "visibility")
        // A model exported with the sixth output `face` reads it into faceScore; a five-output model has none.
        if reference.outputs["face"] != nil {
            #expect(regressor.specification.hasFaceScore)
            expectClose(face.faceScore.map { [$0] } ?? [], reference.outputs["face"], "face")
        } else {
            #expect(face.faceScore == nil && !regressor.specification.hasFaceScore)
        }
        let translationScale = try #require(reference.outputs["translation_scale"])
        #expect(abs(face.pose.translation.x - Float(side) * translationScale[0]) < 1e-2)
        #expect(abs(face.pose.scale - Float(side) * translationScale[2]) < 1e-2)
        let sixD = try #require(reference.outputs["rotation6d"])
        let expected = SixDimensionalRotation.quaternion(SIMD3(sixD[0], sixD[1], sixD[2]), SIMD3(sixD[3], sixD[4], sixD[5]))
        #expect(abs((expected.vector * face.pose.rotation.vector).sum()) > 0.9999)
        #expect(face.expression.allSatisfy { (0...1).contains($0) })
        #expect(face.visibility.allSatisfy { (0...1).contains($0) })
    }

    @Test("a crop cut from a frame and the same crop normalised by hand give the same answer", .enabled(if: modelExists, "models/orn.onnx has not been exported yet"))
    func normalisedInput() throws {
        let regressor = try loadRegressor()
        let specification = regressor.specification
        let side = specification.crop.size
        let normalisation = specification.crop.normalisation
        let crop = Self.cropPattern(side: side)
        var planar = [Float](repeating: 0, count: regressor.cropValueCount)
        for index in 0..<(side * side) {
            for channel in 0..<3 {
                planar[channel * side * side + index] =
                    (Float(crop[index * 3 + channel]) * normalisation.scale - normalisation.mean[channel])
                    / normalisation.standardDeviation[channel]
            }
        }
        let fromBytes = try Self.regressPattern(regressor)
        let fromFloats = try planar.withUnsafeBufferPointer { try regressor.regress(normalisedCrop: $0) }
        #expect(zip(fromBytes.expression, fromFloats.expression).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(throws: FaceRegressionError.cropSizeMismatch(expected: regressor.cropValueCount, actual: 5)) {
            try planar.prefix(5).withUnsafeBufferPointer { try regressor.regress(normalisedCrop: $0) }
        }
    }

    @Test("a model that does not match its sidecar is refused by name")
    func mismatchedModel() throws {
        // The detector is a real ONNX model with the wrong inputs for a regressor.
        let detector = Self.root.appendingPathComponent("models/face_detection_short_range.onnx").path
        let sidecar = FileManager.default.temporaryDirectory.appendingPathComponent("orn-\(UUID().uuidString).json")
        try RegressorSpecificationTests.sidecar().write(to: sidecar)
        defer { try? FileManager.default.removeItem(at: sidecar) }
        do {
            _ = try FaceRegressor(modelPath: detector, specificationPath: sidecar.path)
            Issue.record("the detector was accepted as a regressor")
        } catch {
            guard case .modelMismatch(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == detector)
        }
    }
}
