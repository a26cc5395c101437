// libFuzzer target: the ONNX importer and planner (Sources/InferenceCore: protobuf decoding, graph import, shape
// inference, lowering and arena planning), through the same `Model(data:)` the daemon loads its networks with. A model
// that compiles to a small plan is run once on inputs of ones, so a plan the planner got wrong (a step reading past
// the arena, a kernel handed impossible sizes) is caught too. Any trap, hang, out-of-memory, or error that is not one
// bounded line is a finding. Built by tools/fuzz.sh against InferenceCore compiled as its own module.

import Foundation
import InferenceCore
import InferenceGraph

/// Plans at most this large are run: a few milliseconds at most, so the fuzzer keeps its pace.
private let runnableArena = 1 << 20
private let runnableWork = 1 << 22

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let model: Model
    do {
        model = try Model(data: Data(bytes: data, count: size))
    } catch {
        requireOneLine(error.description, "ONNX model")
        return 0
    }
    let counts = model.inputs.map { $0.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : max($0 * $1, 0) } }
    guard model.arenaElementCount <= runnableArena, (0...runnableWork).contains(model.multiplyAccumulateCount),
          counts.allSatisfy({ $0 <= runnableArena }) else { return 0 }
    let session = model.makeSession()
    var outputs = session.makeOutputBuffers()
    let inputs = model.inputs.map { Tensor(shape: $0.shape, elements: [Float](repeating: 1, count: $0.shape.reduce(1, *))) }
    do {
        try session.run(inputs: inputs, outputs: &outputs)
    } catch {
        requireOneLine(error.description, "ONNX run")
    }
    return 0
}
