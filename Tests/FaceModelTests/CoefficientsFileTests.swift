import FaceModel
import Foundation
import XCTest

final class CoefficientsFileTests: XCTestCase {
    private func model() throws -> MorphableModel {
        try MorphableModel(path: writeTemporary(SyntheticModel.contents().encoded()))
    }

    private func parse(_ json: String, model: MorphableModel) throws -> CoefficientsFile {
        try CoefficientsFile(json: Data(json.utf8), path: "test.json", model: model)
    }

    func testListsAreNamesAndPoseAreRead() throws {
        let model = try model()
        let listed = try parse(#"{"identity": [1, -0.5], "expression": [0.25]}"#, model: model)
        XCTAssertEqual(listed.identity, [1, -0.5, 0])
        XCTAssertEqual(listed.expression, [0.25, 0])
        XCTAssertNil(listed.pose)
        let named = try parse(#"{"identity_coefficients": [0, 0, 2], "expression": {"eyeBlink_L": 1, "jawOpen": 0}, "rotation": [0, 0, 0, 2], "scale": 3}"#, model: model)
        XCTAssertEqual(named.identity, [0, 0, 2])
        XCTAssertEqual(named.expression, [0, 1])
        XCTAssertEqual(named.pose, FacePose(rotation: .identity, translation: .zero, scale: 3))
    }

    func testMistakesAreNamed() throws {
        let model = try model()
        let cases: [(String, String)] = [
            (#"[1, 2]"#, "not a JSON object"),
            (#"{"identity": [1, 2, 3, 4]}"#, "4 identity coefficients, the model uses 3"),
            (#"{"expression": {"jawOpn": 1}}"#, "no blendshape named jawOpn"),
            (#"{"expression": [1, 2, 3]}"#, "3 expression weights, the model has 2"),
            (#"{"identity": ["a"]}"#, "identity holds a non-number"),
            (#"{"rotation": [0, 0, 1]}"#, "rotation needs 4 numbers"),
            (#"{"rotation": [0, 0, 0, 0]}"#, "zero quaternion"),
        ]
        for (json, reason) in cases {
            XCTAssertThrowsError(try parse(json, model: model), json) { error in
                guard case .invalidCoefficients(let path, let message)? = error as? FaceModelError else {
                    return XCTFail("\(json): unexpected \(error)")
                }
                XCTAssertEqual(path, "test.json")
                XCTAssertTrue(message.contains(reason), "\(json): \(message)")
            }
        }
        XCTAssertThrowsError(try CoefficientsFile(path: "/nonexistent.json", model: model)) { error in
            XCTAssertEqual(error as? FaceModelError, .invalidCoefficients(path: "/nonexistent.json", reason: "cannot read the file"))
        }
    }
}
