import Foundation
import InferenceCore
import InferenceGraph
import TestSupport
import Testing

/// Broken or hostile model files and wrong run-time inputs give typed errors naming the culprit.
@Suite struct BadInputTests {
    static let bad = Fixtures.directory.appendingPathComponent("bad")

    func loadError(_ file: String) -> InferenceError? {
        do {
            _ = try Model(contentsOf: Self.bad.appendingPathComponent(file))
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() {
        #expect(throws: InferenceError.self) { try Model(contentsOf: URL(fileURLWithPath: "/nonexistent/model.onnx")) }
    }

    @Test func truncatedFile() throws {
        let data = try Data(contentsOf: Fixtures.model("conv_bn_relu6"))
        #expect(throws: InferenceError.self) { try Model(data: data.prefix(data.count / 2)) }
        var error: InferenceError?
        do { _ = try Model(data: data.prefix(data.count - 7)) } catch let caught { error = caught }
        guard case .malformedModel? = error else {
            Issue.record("cutting 7 bytes off should leave an invalid protobuf, got \(String(describing: error))")
            return
        }
    }

    @Test func randomBytes() {
        var generator = SeededGenerator(seed: 7)
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(throws: InferenceError.self) { try Model(data: bytes) }
        #expect(throws: InferenceError.self) { try Model(data: Data()) }
    }

    @Test func protobufThatIsNotAModel() {
        guard case .notAModel? = loadError("model_without_graph.onnx") else {
            Issue.record("expected notAModel, got \(String(describing: loadError("model_without_graph.onnx")))")
            return
        }
        // Another message type's bytes (a TensorProto) either clash with ModelProto's wire types or lack a graph.
        switch loadError("not_a_model.onnx") {
        case .notAModel?, .malformedModel?: break
        case let other: Issue.record("TensorProto bytes: unexpected \(String(describing: other))")
        }
    }

    @Test func cycle() {
        let error = loadError("cycle.onnx")
        #expect(error == .graphCycle(node: "first") || error == .graphCycle(node: "second"))
    }

    @Test func missingInitializer() {
        #expect(loadError("missing_initializer.onnx") == .missingTensor(name: "weights_gone", node: "conv_without_weights"))
    }

    @Test func shapeMismatch() {
        guard case .shapeMismatch(let node, _)? = loadError("shape_mismatch.onnx") else {
            Issue.record("expected shapeMismatch")
            return
        }
        #expect(node == "mismatched_add")
    }

    @Test("absurd dimensions are refused before allocating", arguments: ["absurd_initializer.onnx", "absurd_input.onnx", "absurd_resize.onnx"])
    func absurdDimensions(_ file: String) {
        guard case .tensorTooLarge(_, let detail)? = loadError(file) else {
            Issue.record("\(file): expected tensorTooLarge, got \(String(describing: loadError(file)))")
            return
        }
        #expect(!detail.isEmpty)
    }

    @Test func unsupportedOperator() {
        guard case .unsupportedOperator(let op, let node, _)? = loadError("unsupported_operator.onnx") else {
            Issue.record("expected unsupportedOperator")
            return
        }
        #expect(op == "Einsum" && node == "the_einsum")
        #expect(loadError("unsupported_operator.onnx")!.description.contains("the_einsum"))
    }

    @Test("a name holding a line break is quoted on one line (a libFuzzer finding)")
    func lineBreakInName() throws {
        // The onnx-model fuzz target's input: a node reading a tensor whose name, from the file, holds a line break.
        let error = try #require(loadError("line_break_in_name.onnx"))
        let oneLine = !error.description.contains(where: \.isNewline)
        #expect(oneLine, "\(error)")
        // A name of any length is cut: the description stays one bounded line.
        let long = InferenceError.missingTensor(name: String(repeating: "x\n", count: 100_000), node: "n")
        let bounded = !long.description.contains(where: \.isNewline) && long.description.utf8.count < 400
        #expect(bounded)
    }

    @Test("a node without an output is refused, not planned (a libFuzzer finding)")
    func nodeWithoutOutput() {
        // The onnx-model fuzz target's input: a Resize whose output name a mutation swallowed; the planner indexed
        // its missing first output and trapped.
        guard case .invalidAttribute(let node, "output", _)? = loadError("node_without_output.onnx") else {
            Issue.record("expected invalidAttribute(output), got \(String(describing: loadError("node_without_output.onnx")))")
            return
        }
        #expect(node == "Resize_node3")
    }

    @Test("a reflect Pad of absurd size is refused at once, not planned for seconds (a libFuzzer finding)")
    func hugeReflectPad() {
        // The onnx-model fuzz target's input: a reflect Pad of 23,810 columns on a 65×2×5×5 input, 31 M output
        // elements, within the tensor limit; building its gather table took over 10 s under the fuzzer.
        let clock = ContinuousClock()
        var error: InferenceError?
        let elapsed = clock.measure { error = loadError("huge_reflect_pad.onnx") }
        guard case .tensorTooLarge? = error else {
            Issue.record("expected tensorTooLarge, got \(String(describing: error))")
            return
        }
        #expect(elapsed < .milliseconds(100))
    }

    @Test("a pad or step of Int64.min is refused, not negated (a libFuzzer finding)", arguments: [
        ("pad_int64_min.onnx", "pads"), ("slice_step_int64_min.onnx", "steps"),
    ])
    func int64MinimumOperand(file: String, attribute: String) {
        // The onnx-model fuzz target's input (the Pad) and the same value in a Slice's steps: abs(Int64.min) trapped.
        guard case .invalidAttribute(_, let name, _)? = loadError(file) else {
            Issue.record("\(file): expected invalidAttribute, got \(String(describing: loadError(file)))")
            return
        }
        #expect(name == attribute)
    }

    @Test("Split sizes or a part count that would overflow are refused (a libFuzzer finding)", arguments: [
        ("split_sizes_overflow.onnx", "split"), ("split_num_outputs_huge.onnx", "num_outputs"),
    ])
    func splitOverflow(file: String, attribute: String) {
        // The onnx-model fuzz target's input: split sizes from the file whose sum overflowed; and num_outputs = 2^62,
        // whose rounding-up overflowed.
        guard case .invalidAttribute(_, let name, _)? = loadError(file) else {
            Issue.record("\(file): expected invalidAttribute, got \(String(describing: loadError(file)))")
            return
        }
        #expect(name == attribute)
    }

    @Test func wrongInputShapeAtRunTime() throws {
        let model = try Model(contentsOf: Fixtures.model("conv3x3_odd"))
        let session = model.makeSession()
        let wrong = Tensor(zeros: [1, 3, 9, 7])
        #expect(throws: InferenceError.tensorShapeMismatch(name: "x", expected: [1, 3, 7, 9], actual: [1, 3, 9, 7])) {
            try session.run(inputs: [wrong])
        }
        #expect(throws: InferenceError.argumentCountMismatch(kind: "inputs", expected: 1, actual: 0)) {
            try session.run(inputs: [])
        }
        var outputs = [Tensor(zeros: [1])]
        #expect(throws: InferenceError.self) { try session.run(inputs: [Tensor(zeros: [1, 3, 7, 9])], outputs: &outputs) }
    }
}
