import Foundation
import Testing
@testable import FaceRegression

@Suite("orn.json sidecar")
struct RegressorSpecificationTests {
    /// A sidecar as the training exporter writes it, with `change` applied.
    static func sidecar(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> Data {
        var json: [String: Any] = [
            "format": "occlumesh-orn/1",
            "input": ["name": "image", "shape": [1, 3, 128, 128],
                      "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]]],
            "crop": ["convention": "square box around the face", "size": 128],
            "outputs": [["name": "identity", "shape": [1, 40]], ["name": "expression", "shape": [1, 53]],
                        ["name": "rotation6d", "shape": [1, 6]], ["name": "translation_scale", "shape": [1, 3]],
                        ["name": "visibility", "shape": [1, 68]]],
            "identity_modes": 40,
            "expression_names": (0..<53).map { "expression\($0)" },
        ]
        change(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    @Test func readsTheExporterFormat() throws {
        let specification = try RegressorSpecification.parse(try Self.sidecar(), path: "orn.json")
        #expect(specification.inputSide == 128 && specification.inputName == "image")
        #expect(specification.identityModes == 40 && specification.expressionNames.count == 53)
        #expect(specification.mean == SIMD3(repeating: 0.5) && specification.standardDeviation == SIMD3(repeating: 0.5))
    }

    @Test("each broken sidecar names what is wrong", arguments: [
        ("format", "format 'something-else' is not 'occlumesh-orn/1'"),
        ("identity_modes", "missing key 'identity_modes'"),
        ("shape", "input shape [1, 3, 128, 96] is not 1×3×S×S with S = crop.size"),
        ("outputs", "outputs"),
        ("std", "normalisation needs three means and three positive deviations"),
    ])
    func brokenSidecars(field: String, reason: String) throws {
        let data = try Self.sidecar { json in
            switch field {
            case "format": json["format"] = "something-else"
            case "identity_modes": json.removeValue(forKey: "identity_modes")
            case "shape": json["input"] = ["name": "image", "shape": [1, 3, 128, 96],
                                           "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]]]
            case "outputs": json["outputs"] = [["name": "identity", "shape": [1, 40]]]
            default: json["input"] = ["name": "image", "shape": [1, 3, 128, 128],
                                      "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0, 0.5]]]
            }
        }
        do {
            _ = try RegressorSpecification.parse(data, path: "orn.json")
            Issue.record("a sidecar with a broken \(field) was accepted")
        } catch {
            #expect(error.description.hasPrefix("orn.json: not a valid regressor sidecar: \(reason)"), "\(error)")
        }
    }

    @Test func notJSON() {
        #expect(throws: FaceRegressionError.invalidSpecification(path: "orn.json", reason: "not JSON")) {
            _ = try RegressorSpecification.parse(Data("garbage".utf8), path: "orn.json")
        }
    }
}

/// Numbers in orn.json that would overflow or size absurd buffers: refused at load with an error, never a trap.
@Suite("hostile orn.json numbers")
struct HostileRegressorSidecarTests {
    @Test("output shapes whose product overflows, or with negative or zero dimensions, are refused", arguments: [
        [1 << 32, 1 << 32], [Int.max, 2], [-40, -1], [0, 40], [-1, -40],
    ])
    func outputShapes(shape: [Int]) throws {
        let data = try RegressorSpecificationTests.sidecar { json in
            var outputs = json["outputs"] as! [[String: Any]]
            outputs[0]["shape"] = shape
            json["outputs"] = outputs
            if shape == [-40, -1] || shape == [-1, -40] { json["identity_modes"] = 40 }
        }
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.parse(data, path: "orn.json") }
    }

    @Test("negative identity modes and absurd input sides are refused", arguments: [
        ("identity_modes", -40), ("side", 1 << 31), ("side", Int.max),
    ])
    func sizes(key: String, value: Int) throws {
        let data = try RegressorSpecificationTests.sidecar { json in
            if key == "identity_modes" {
                json["identity_modes"] = value
                var outputs = json["outputs"] as! [[String: Any]]
                outputs[0]["shape"] = [value]
                json["outputs"] = outputs
            } else {
                var input = json["input"] as! [String: Any]
                input["shape"] = [1, 3, value, value]
                json["input"] = input
                json["crop"] = ["convention": "square box around the face", "size": value]
            }
        }
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.parse(data, path: "orn.json") }
    }
}
