import FaceModel
import Foundation
import Testing
@testable import FaceRegression

/// The sidecar's optional `landmark_definition` (the calibrated landmarks the network was trained with, as
/// training/orn/export.py writes them: {"vertices": [[int × 3] × 68], "weights": [[float × 3] × 68]}).
@Suite("orn.json landmark definition")
struct SidecarLandmarkDefinitionTests {
    static let vertices: [[Int]] = (0..<68).map { [8000 + 3 * $0, 8001 + 3 * $0, 8002 + 3 * $0] }
    static let weights: [[Double]] = (0..<68).map { j in
        let a = Double(j % 4) / 8, b = Double(j % 3) / 8
        return [a, b, 1 - a - b]
    }

    static func sidecar(vertices: [[Int]] = vertices, weights: [[Double]] = weights) throws -> Data {
        try RegressorSpecificationTests.sidecar { json in
            json["landmark_definition"] = ["vertices": vertices, "weights": weights]
        }
    }

    @Test("a sidecar's definition is read as the exporter writes it; none without the key")
    func readsTheDefinition() throws {
        let specification = try RegressorSpecification.parse(try Self.sidecar(), path: "orn.json")
        let definition = try #require(specification.landmarkDefinition)
        #expect(definition.vertices.map { [Int($0.x), Int($0.y), Int($0.z)] } == Self.vertices)
        #expect(definition.weights.map { [Double($0.x), Double($0.y), Double($0.z)] } == Self.weights.map { $0.map { Double(Float($0)) } })
        #expect(try RegressorSpecification.parse(try RegressorSpecificationTests.sidecar(), path: "orn.json").landmarkDefinition == nil)
    }

    @Test("a definition with the wrong shape or a bad number is refused in one line", arguments: [
        "67 rows", "two weights", "negative vertex", "vertex past Int32", "weights sum to 2", "negative weight",
    ])
    func badDefinitions(kind: String) throws {
        var vertices = Self.vertices, weights = Self.weights
        switch kind {
        case "67 rows": vertices.removeLast(); weights.removeLast()
        case "two weights": weights[4] = [0.5, 0.5]
        case "negative vertex": vertices[9][2] = -1
        case "vertex past Int32": vertices[9][0] = 1 << 40
        case "weights sum to 2": weights[20] = [1, 0.5, 0.5]
        default: weights[20] = [-0.5, 0.5, 1]
        }
        do {
            _ = try RegressorSpecification.parse(try Self.sidecar(vertices: vertices, weights: weights), path: "orn.json")
            Issue.record("a landmark definition with \(kind) was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("orn.json: not a valid regressor sidecar: landmark_definition"), "\(text)")
            #expect(!text.contains("\n"))
        }
    }
}
