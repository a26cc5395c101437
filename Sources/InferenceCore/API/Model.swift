import Foundation
import InferenceEngineAVX2
import InferenceEngineAVX512
import InferenceGraph
import ProcessorSupport

/// Name and shape of one model input or output.
public struct TensorDescription: Sendable, Equatable {
    /// The tensor's name in the ONNX graph.
    public let name: String
    /// Logical shape (NCHW for images); symbolic dimensions are planned as 1.
    public let shape: [Int]
}

/// A loaded and compiled ONNX model: the execution plan and prepacked weights, immutable and
/// shared by every session made from it.
public final class Model: Sendable {
    /// Graph inputs in declaration order.
    public let inputs: [TensorDescription]
    /// Graph outputs in declaration order.
    public let outputs: [TensorDescription]
    /// Floats in each session's arena (activations, scratch and run-time constants).
    public let arenaElementCount: Int
    /// Number of steps in the compiled plan (after fusion).
    public let stepCount: Int
    /// Multiply-accumulate operations of one run, counted from the plan's convolutions and GEMMs.
    public let multiplyAccumulateCount: Int
    /// The kernels the plan runs on (weights are packed for them).
    public let kernels: KernelLevel
    let plan: any CompiledPlan
    /// The plan's inputs and outputs with their arena slots, computed once (a run must not allocate).
    let inputBindings: [PlanBinding], outputBindings: [PlanBinding]

    /// Loads, validates and compiles the ONNX model at `url` for `kernels` (nil: the process's choice, see
    /// `ProcessorCheck`).
    public convenience init(contentsOf url: URL, kernels: KernelLevel? = nil) throws(InferenceError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(data: data, kernels: kernels)
    }

    /// Loads, validates and compiles an ONNX model from its serialized bytes for `kernels` (nil: the process's
    /// choice). A level this CPU cannot run, asked for here or through `OCCLUMESH_ISA`, is an error, checked before
    /// any of the level's code runs.
    public init(data: Data, kernels requested: KernelLevel? = nil) throws(InferenceError) {
        let level: KernelLevel
        switch ProcessorCheck.level(requested: requested) {
        case .success(let chosen): level = chosen
        case .failure(let error): throw .kernelSelection(detail: error.description)
        }
        let graph = try ONNXImporter.importModel(data)
        let plan: any CompiledPlan = switch level {
        case .avx2: try InferenceEngineAVX2.Engine.compile(graph)
        case .avx512: try InferenceEngineAVX512.Engine.compile(graph)
        }
        self.plan = plan
        kernels = level
        inputBindings = plan.inputs
        outputBindings = plan.outputs
        inputs = inputBindings.map { TensorDescription(name: $0.name, shape: $0.shape) }
        outputs = outputBindings.map { TensorDescription(name: $0.name, shape: $0.shape) }
        arenaElementCount = plan.arenaCount
        stepCount = plan.stepCount
        multiplyAccumulateCount = plan.multiplyAccumulateCount
    }

    /// Makes an independent session with its own arena. `threads` > 1 starts `threads - 1` worker threads for the
    /// session's life, which spin while a run lasts and take a share of each layer large enough to pay for it; the
    /// default of 1 keeps each run on the calling thread.
    public func makeSession(threads: Int = 1) -> Session {
        Session(model: self, threads: max(1, threads))
    }
}
