import FaceModel
import Foundation
import TestSupport
import Testing

@Suite("coefficients files")
struct CoefficientsFileTests {
    let temporary = TemporaryDirectory("coefficients")

    private func parse(_ json: String, model: MorphableModel) throws -> CoefficientsFile {
        try CoefficientsFile(json: Data(json.utf8), path: "test.json", model: model)
    }

    @Test("lists are read as coefficients, names as blendshapes, and a pose when one is given")
    func listsAreNamesAndPoseAreRead() throws {
        let model = try temporary.model()
        let listed = try parse(#"{"identity": [1, -0.5], "expression": [0.25]}"#, model: model)
        #expect(listed.identity == [1, -0.5, 0])
        #expect(listed.expression == [0.25, 0])
        #expect(listed.transform == nil)
        let named = try parse(#"{"identity_coefficients": [0, 0, 2], "expression": {"eyeBlink_L": 1, "jawOpen": 0}, "rotation": [0, 0, 0, 2], "scale": 3}"#, model: model)
        #expect(named.identity == [0, 0, 2])
        #expect(named.expression == [0, 1])
        #expect(named.transform == MeshTransform(rotation: .identity, translation: .zero, scale: 3))
    }

    @Test("each mistake is named", arguments: [
        (#"[1, 2]"#, "not a JSON object"),
        (#"{"identity": [1, 2, 3, 4]}"#, "4 identity coefficients, the model uses 3"),
        (#"{"expression": {"jawOpn": 1}}"#, "no blendshape named jawOpn"),
        (#"{"expression": [1, 2, 3]}"#, "3 expression weights, the model has 2"),
        (#"{"identity": ["a"]}"#, "identity holds a non-number"),
        (#"{"rotation": [0, 0, 1]}"#, "rotation needs 4 numbers"),
        (#"{"rotation": [0, 0, 0, 0]}"#, "zero quaternion"),
    ])
    func mistakesAreNamed(json: String, reason: String) throws {
        let model = try temporary.model()
        let error = #expect(throws: FaceModelError.self, "\(json)") { try parse(json, model: model) }
        guard case .invalidCoefficients(let path, let message)? = error else {
            Issue.record("\(json): unexpected \(String(describing: error))")
            return
        }
        #expect(path == "test.json")
        #expect(message.contains(reason), "\(json): \(message)")
    }

    @Test("a file that cannot be read is named")
    func unreadableFile() throws {
        let model = try temporary.model()
        #expect(throws: FaceModelError.invalidCoefficients(path: "/nonexistent.json", reason: "cannot read the file")) {
            try CoefficientsFile(path: "/nonexistent.json", model: model)
        }
    }
}
