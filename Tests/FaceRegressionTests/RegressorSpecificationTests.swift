import Foundation
import Testing
@testable import FaceRegression

@Suite("orn.json sidecar")
struct RegressorSpecificationTests {
    /// The exporter's `crop.framing` of the shipped model.
    static var framing: [String: Any] { [
        "landmarks": ["side_scale": 1.4142135, "centre_shift": [0.0, 0.0]],
        "detection": ["side_scale": 1.3565, "centre_shift": [0.0, 0.0532]],
    ] }

    /// A sidecar as the training exporter writes it, with `change` applied.
    static func sidecar(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> Data {
        var json: [String: Any] = [
            "format": "occlumesh-orn/1",
            "input": ["name": "image", "shape": [1, 3, 128, 128], "layout": "NCHW",
                      "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]]],
            "crop": ["convention": "square box around the face", "size": 128, "framing": framing],
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
        #expect(specification.crop.size == 128 && specification.inputName == "image")
        #expect(specification.identityModes == 40 && specification.expressionNames.count == 53)
        #expect(specification.landmarkCount == 68)
        let normalisation = specification.crop.normalisation
        #expect(abs(normalisation.scale * 255 - 1) <= 1e-6)
        #expect(normalisation.mean == SIMD3(repeating: 0.5) && normalisation.standardDeviation == SIMD3(repeating: 0.5))
        #expect(specification.crop.framing.landmarks.sideScale == 1.4142135)
        #expect(specification.crop.framing.detection.centreShift == SIMD2(0, 0.0532))
    }

    @Test("each broken sidecar names what is wrong", arguments: [
        ("format", "format 'something-else' is not 'occlumesh-orn/1'"),
        ("identity_modes", "missing key 'identity_modes'"),
        ("shape", "input shape [1, 3, 128, 96] is not 1×3×S×S with S = crop.size"),
        ("outputs", "outputs"),
        ("std", "normalisation needs three means and three positive deviations"),
        ("framing", "crop.framing (landmarks and detection side_scale, centre_shift) is missing"),
        ("layout", "input shape [1, 3, 128, 128] is not 1×3×S×S with S = crop.size (layout NCHW)"),
        ("visibility", "visibility output covers 5 landmarks, not the face model's 68"),
    ])
    func brokenSidecars(field: String, reason: String) throws {
        let data = try Self.sidecar { json in
            switch field {
            case "format": json["format"] = "something-else"
            case "identity_modes": json.removeValue(forKey: "identity_modes")
            case "shape": json["input"] = ["name": "image", "shape": [1, 3, 128, 96], "layout": "NCHW",
                                           "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]]]
            case "outputs": json["outputs"] = [["name": "identity", "shape": [1, 40]]]
            case "framing": json["crop"] = ["convention": "square box around the face", "size": 128]
            case "layout": json["input"] = ["name": "image", "shape": [1, 3, 128, 128], "layout": "NHWC",
                                            "normalisation": ["scale": 1.0 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]]]
            case "visibility":
                var outputs = json["outputs"] as! [[String: Any]]
                outputs[4]["shape"] = [1, 5]
                json["outputs"] = outputs
            default: json["input"] = ["name": "image", "shape": [1, 3, 128, 128], "layout": "NCHW",
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

    @Test("a missing file is one line naming it")
    func missingFile() {
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.load(path: "/nonexistent/orn.json") }
        do {
            _ = try RegressorSpecification.load(path: "/nonexistent/orn.json")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/orn.json: cannot read ("), "\(error)")
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
                json["crop"] = ["convention": "square box around the face", "size": value, "framing": RegressorSpecificationTests.framing]
            }
        }
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.parse(data, path: "orn.json") }
    }

    @Test("crop framings with absurd side_scale or centre_shift, and absurd crop sizes, are refused", arguments: [
        ("side_scale", 1e30), ("side_scale", 1e9), ("side_scale", 0), ("centre_shift", 1e30), ("size", 1_099_511_627_776.0),
    ])
    func cropFraming(key: String, value: Double) throws {
        let data = try RegressorSpecificationTests.sidecar { json in
            var crop = json["crop"] as! [String: Any]
            var framing = crop["framing"] as! [String: Any]
            var detection = framing["detection"] as! [String: Any]
            switch key {
            case "side_scale": detection["side_scale"] = value
            case "centre_shift": detection["centre_shift"] = [value, 0]
            default:
                crop["size"] = Int(value)
                var input = json["input"] as! [String: Any]
                input["shape"] = [1, 3, Int(value), Int(value)]
                json["input"] = input
            }
            framing["detection"] = detection
            crop["framing"] = framing
            json["crop"] = crop
        }
        #expect(throws: FaceRegressionError.self) { try RegressorSpecification.parse(data, path: "orn.json") }
    }
}
