import FaceModel
import Foundation
import Testing
import TestSupport
@testable import FacePipeline

/// The regressor's sidecar and the face-model file must agree on the calibrated landmark definition, and the
/// protocol's topology lists the vertex standing for each calibrated landmark.
@Suite("landmark definition of the regressor and the face model", .enabled(if: TestResources.available, TestResources.skipReason))
struct LandmarkDefinitionCheckTests {
    /// orn.json with `landmark_definition` set to `definition` (or removed when nil), in a fresh folder.
    static func sidecar(with definition: LandmarkDefinition?, in folder: URL) throws -> String {
        let original = TestResources.models.appendingPathComponent("orn.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: original)) as? [String: Any])
        if let definition {
            json["landmark_definition"] = [
                "vertices": definition.vertices.map { [Int($0.x), Int($0.y), Int($0.z)] },
                "weights": definition.weights.map { [Double($0.x), Double($0.y), Double($0.z)] },
            ]
        } else {
            json.removeValue(forKey: "landmark_definition")
        }
        let path = folder.appendingPathComponent("orn.json")
        try JSONSerialization.data(withJSONObject: json).write(to: path)
        return path.path
    }

    @Test("a sidecar trained on the file's definition, or on none, loads; another definition is refused in one line")
    func definitionsMustAgree() throws {
        let folder = try Repository.temporaryFolder("landmark-definition")
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = try PipelineTests.settings()
        let fileDefinition = try #require(try MorphableModel(path: settings.faceModelPath).landmarkDefinition,
                                          "the face-model file carries no calibrated definition: run scripts/setup.sh")
        settings.regressorSidecarPath = try Self.sidecar(with: fileDefinition, in: folder)
        _ = try PipelineModels(settings: settings)
        settings.regressorSidecarPath = try Self.sidecar(with: nil, in: folder)
        _ = try PipelineModels(settings: settings)
        var other = fileDefinition
        other.vertices[30].x += 1
        settings.regressorSidecarPath = try Self.sidecar(with: other, in: folder)
        #expect {
            _ = try PipelineModels(settings: settings)
        } throws: { error in
            let text = "\(error)"
            return text.contains(settings.faceModelPath) && text.contains("landmark definition differs")
                && text.contains("re-run tools/setup-face-model.sh") && !text.contains("\n")
        }
    }

    @Test("the topology lists each calibrated landmark's vertex of largest weight")
    func topologyListsTheCalibratedVertices() throws {
        let models = try PipelineModels(settings: try PipelineTests.settings())
        let definition = try #require(models.model.landmarkDefinition)
        #expect(models.topology.landmarkIndices == definition.nearestVertices.map { UInt32($0) })
        #expect(models.topology.landmarkIndices != models.model.landmarkIndices.map { UInt32($0) })
        // The model id, by which clients cache the topology, names the definition, so a client holding the topology
        // of ICT's landmark vertices (or of another calibration) does not reuse it.
        let identifier = models.topology.modelIdentifier
        #expect(identifier.hasPrefix("ict-face-light/11248v/") && identifier.hasSuffix("/landmarks-" + hex(definition.digest)), "\(identifier)")
        var other = definition
        other.weights[1] = SIMD3(other.weights[1].y, other.weights[1].x, other.weights[1].z)
        #expect(other.weights[1] != definition.weights[1] && other.digest != definition.digest)
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
