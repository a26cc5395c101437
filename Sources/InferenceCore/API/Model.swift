import Foundation
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
    let plan: ExecutionPlan

    /// Loads, validates and compiles the ONNX model at `url`.
    public convenience init(contentsOf url: URL) throws(InferenceError) {
        try ProcessorCheck.verify()
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(data: data)
    }

    /// Loads, validates and compiles an ONNX model from its serialized bytes.
    public init(data: Data) throws(InferenceError) {
        try ProcessorCheck.verify()
        let graph = try ONNXImporter.importModel(data)
        let plan = try Planner.plan(graph)
        self.plan = plan
        inputs = plan.inputs.map { TensorDescription(name: $0.name, shape: $0.value.shape) }
        outputs = plan.outputs.map { TensorDescription(name: $0.name, shape: $0.value.shape) }
        arenaElementCount = plan.arenaCount
        stepCount = plan.steps.count
        multiplyAccumulateCount = plan.steps.reduce(0) { total, step in
            switch step {
            case let gemm as PackedGEMMStep: total &+ gemm.rows &* gemm.packed.rows &* gemm.packed.columns
            case let conv as Im2colConvolutionStep:
                total &+ conv.batch &* conv.groups &* conv.geometry.outputHeight &* conv.geometry.outputWidth
                    &* conv.packed.rows &* conv.packed.columns
            case let direct as DirectConvolutionStep:
                total &+ direct.batch &* direct.outputChannels &* direct.geometry.outputHeight &* direct.geometry.outputWidth
                    &* direct.geometry.kernelHeight &* direct.geometry.kernelWidth &* direct.inputChannels
            case let depthwise as DepthwiseConvolutionStep:
                total &+ depthwise.batch &* depthwise.channels &* depthwise.geometry.outputHeight
                    &* depthwise.geometry.outputWidth &* depthwise.geometry.kernelHeight &* depthwise.geometry.kernelWidth
            default: total
            }
        }
    }

    /// Makes an independent session with its own arena. `threads` > 1 lets large layers use
    /// `DispatchQueue.concurrentPerform`; the default of 1 keeps each run on the calling thread.
    public func makeSession(threads: Int = 1) -> Session {
        Session(model: self, threads: max(1, threads))
    }
}
