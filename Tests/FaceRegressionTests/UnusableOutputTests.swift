import Foundation
import Testing
@testable import FaceRegression

/// A regressor whose outputs no face gives — not finite, or identity, translation or scale beyond any face's — is
/// refused crop by crop with a one-line reason naming the output, never handed on as a face
/// (`toy-orn-diverged-*`, tools/make-toy-regressor.py: toy-orn6 with one output replaced).
@Suite("unusable regressor outputs")
struct UnusableOutputTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func regressor(_ stem: String) throws -> FaceRegressor {
        try FaceRegressor(modelPath: fixtures.appendingPathComponent("\(stem).onnx").path,
                          specificationPath: fixtures.appendingPathComponent("\(stem).json").path)
    }

    @Test("each diverged output is refused, naming it", arguments: [
        ("nan-identity", "identity[0] is nan"),
        ("inf-rotation", "rotation6d[0] is inf"),
        ("huge-identity", "identity[0] = 1000.0 is beyond ±20.0"),
        ("far-translation", "translation (50.0, 0.5) is beyond ±8.0 crop sides"),
        ("negative-scale", "scale -0.05 is outside"),
        ("nan-face", "face[0] is nan"),
    ])
    func divergedOutputIsRefused(kind: String, reason: String) throws {
        let regressor = try Self.regressor("toy-orn-diverged-\(kind)")
        do {
            let face = try FaceRegressorTests.regressPattern(regressor)
            Issue.record("\(kind): regressed as a face: \(face)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("regressor output unusable: \(reason)"), "\(text)")
            #expect(!text.contains("\n"))
        }
        // The regressor stays usable: the next crop is tried afresh and refused the same way, not trapped on.
        #expect(throws: FaceRegressionError.self) { try FaceRegressorTests.regressPattern(regressor) }
    }

    @Test("the same model with its outputs in range regresses a face, sigmoids within [0, 1]")
    func sameModelInRange() throws {
        let face = try FaceRegressorTests.regressPattern(try Self.regressor("toy-orn6"))
        #expect(face.pose.scale > 0 && face.identity.allSatisfy(\.isFinite))
        #expect((face.expression + face.visibility + [face.faceScore ?? -1]).allSatisfy { (0...1).contains($0) })
    }
}
