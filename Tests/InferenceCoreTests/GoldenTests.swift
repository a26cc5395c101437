import Foundation
import InferenceCore
import Testing

/// Every fixture model, run through InferenceCore, must match onnxruntime's recorded outputs to
/// within 1e-4 of the output's scale.
@Suite struct GoldenTests {
    @Test("fixtures exist") func fixturesExist() {
        #expect(Fixtures.names.count >= 50)
        #expect(Fixtures.names.contains("mobilenetv2_050_128"))
        #expect(Fixtures.names.contains("blazeface_128"))
    }

    @Test("matches onnxruntime", arguments: Fixtures.names)
    func matchesOnnxRuntime(_ name: String) throws {
        let model = try Model(contentsOf: Fixtures.model(name))
        let inputs = try Fixtures.tensors(name, kind: "in")
        let expected = try Fixtures.tensors(name, kind: "out")
        let outputs = try model.makeSession().run(inputs: inputs)
        #expect(outputs.count == expected.count)
        for (actual, reference) in zip(outputs, expected) {
            #expect(actual.shape == reference.shape, "\(name) output shape")
            guard actual.shape == reference.shape else { continue }
            let error = Fixtures.relativeError(actual, reference)
            #expect(error <= 1e-4, "\(name): relative error \(error)")
        }
    }

    @Test("two threads give the same results as one")
    func threadsAgree() throws {
        let name = "mobilenetv2_050_128"
        let model = try Model(contentsOf: Fixtures.model(name))
        let inputs = try Fixtures.tensors(name, kind: "in")
        let single = try model.makeSession(threads: 1).run(inputs: inputs)
        let double = try model.makeSession(threads: 2).run(inputs: inputs)
        #expect(Fixtures.relativeError(double[0], single[0]) <= 1e-6)
    }
}
