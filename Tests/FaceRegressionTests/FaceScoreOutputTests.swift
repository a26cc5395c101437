import Foundation
import Testing
@testable import FaceRegression

/// The optional sixth output `face` (a sigmoid face probability, shape [1, 1]) after `visibility`: sidecars and
/// models with five outputs or with those five and `face` are read; anything else in sixth place is refused.
@Suite("face score output")
struct FaceScoreOutputTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The exporter's sidecar with `extra` outputs after the five.
    static func sidecar(extra: [[String: Any]]) throws -> Data {
        try RegressorSpecificationTests.sidecar { json in
            json["outputs"] = (json["outputs"] as! [[String: Any]]) + extra
        }
    }

    @Test("a sidecar listing face [1, 1] after visibility is accepted and says so")
    func sixOutputs() throws {
        let specification = try RegressorSpecification.parse(try Self.sidecar(extra: [["name": "face", "shape": [1, 1]]]), path: "orn.json")
        #expect(specification.hasFaceScore)
        #expect(specification.identityModes == 40 && specification.landmarkCount == 68)
    }

    @Test("a sidecar with the five outputs of today is still accepted, without a face score")
    func fiveOutputs() throws {
        let specification = try RegressorSpecification.parse(try Self.sidecar(extra: []), path: "orn.json")
        #expect(!specification.hasFaceScore)
    }

    @Test("a sixth output of another name or size, or a seventh, is refused by name", arguments: [
        "named score", "two wide", "68 wide", "twice",
    ])
    func wrongSixthOutput(kind: String) throws {
        let extra: [[String: Any]] = switch kind {
        case "named score": [["name": "score", "shape": [1, 1]]]
        case "two wide": [["name": "face", "shape": [1, 2]]]
        case "68 wide": [["name": "face", "shape": [1, 68]]]
        default: [["name": "face", "shape": [1, 1]], ["name": "face", "shape": [1, 1]]]
        }
        do {
            _ = try RegressorSpecification.parse(try Self.sidecar(extra: extra), path: "orn.json")
            Issue.record("outputs with a sixth output \(kind) were accepted")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("orn.json: not a valid regressor sidecar: outputs "), "\(text)")
            #expect(text.contains("optionally followed by (\"face\", 1)") && !text.contains("\n"), "\(text)")
        }
    }

    @Test("face before visibility is refused (order matters: outputs are read by position)")
    func faceOutOfOrder() throws {
        let data = try RegressorSpecificationTests.sidecar { json in
            var outputs = json["outputs"] as! [[String: Any]]
            outputs.insert(["name": "face", "shape": [1, 1]], at: 4)
            json["outputs"] = outputs
        }
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.parse(data, path: "orn.json") }
    }

    /// The toy models of tools/make-toy-regressor.py, run on the same crop as onnxruntime.
    @Test("toy models with five and six outputs run and read as onnxruntime's outputs", arguments: ["toy-orn5", "toy-orn6"])
    func toyModels(stem: String) throws {
        let reference = try JSONDecoder().decode([String: [String: [Float]]].self,
                                                 from: Data(contentsOf: Self.fixtures.appendingPathComponent("toy-orn-reference.json")))
        let expected = try #require(reference[stem])
        let regressor = try FaceRegressor(modelPath: Self.fixtures.appendingPathComponent("\(stem).onnx").path,
                                          specificationPath: Self.fixtures.appendingPathComponent("\(stem).json").path)
        let face = try FaceRegressorTests.regressPattern(regressor)
        func close(_ ours: [Float], _ name: String) -> Bool {
            guard let theirs = expected[name], theirs.count == ours.count else { return false }
            return zip(ours, theirs).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        }
        #expect(close(face.identity, "identity") && close(face.expression, "expression") && close(face.visibility, "visibility"))
        if stem == "toy-orn6" {
            #expect(regressor.specification.hasFaceScore)
            let score = try #require(face.faceScore, "a six-output model gave no face score")
            #expect(close([score], "face"), "face score \(score), onnxruntime \(expected["face"] ?? [])")
        } else {
            #expect(!regressor.specification.hasFaceScore)
            #expect(face.faceScore == nil)
        }
    }

    @Test("a six-output sidecar beside a five-output model (and the reverse) is refused as a mismatch", arguments: [
        ("toy-orn5.onnx", "toy-orn6.json"), ("toy-orn6.onnx", "toy-orn5.json"),
    ])
    func mismatchedOutputCount(model: String, sidecar: String) throws {
        let modelPath = Self.fixtures.appendingPathComponent(model).path
        do {
            _ = try FaceRegressor(modelPath: modelPath, specificationPath: Self.fixtures.appendingPathComponent(sidecar).path)
            Issue.record("\(model) was accepted with \(sidecar)")
        } catch {
            guard case .modelMismatch(let path, let reason) = error else { Issue.record("\(error)"); return }
            #expect(path == modelPath && reason.hasPrefix("output sizes"), "\(reason)")
        }
    }
}
