import Dispatch
import InferenceGraph

/// The median time of one execution-plan step, from `Session.profileSteps(inputs:runs:)`.
public struct StepTiming: Sendable {
    /// The step's kind and parameters, as the plan holds them.
    public let step: String
    /// Median wall time of the step, in milliseconds.
    public let milliseconds: Double
}

/// Runs one model on its own preallocated arena. A session allocates everything at creation;
/// `run(inputs:outputs:)` performs no heap allocation. Runs on one session must not overlap;
/// use one session per pipeline stage (sessions of the same model are independent).
public final class Session: @unchecked Sendable {
    /// The model this session runs.
    public let model: Model
    /// Threads large layers may use.
    public let threads: Int
    private let workers: WorkerPool?
    private let arena: UnsafeMutablePointer<Float>
    private let buffers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    init(model: Model, threads: Int) {
        self.model = model
        self.threads = threads
        workers = threads > 1 ? WorkerPool(threads: threads) : nil
        let plan = model.plan
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(plan.arenaCount, 16) * 4 + 64, alignment: 64)
        arena = raw.bindMemory(to: Float.self, capacity: max(plan.arenaCount, 16) + 16)
        arena.initialize(repeating: 0, count: max(plan.arenaCount, 16) + 16)
        let offsets = plan.slotOffsets, initialValues = plan.slotInitialValues
        buffers = .allocate(capacity: max(offsets.count, 1))
        for (index, offset) in offsets.enumerated() {
            buffers[index] = arena + offset
            if let values = initialValues[index], !values.isEmpty {
                values.withUnsafeBufferPointer { buffers[index].update(from: $0.baseAddress!, count: values.count) }
            }
        }
    }

    deinit {
        buffers.deallocate()
        arena.deallocate()
    }

    /// Base address of the session's arena; stable for the session's life (tests use it to show
    /// that runs reuse the same memory).
    public var arenaAddress: UnsafeRawPointer { UnsafeRawPointer(arena) }

    /// Output tensors of the right shapes, to pass to `run(inputs:outputs:)` again and again.
    public func makeOutputBuffers() -> [Tensor] {
        model.outputs.map { Tensor(zeros: $0.shape) }
    }

    /// Runs the model on `inputs` (in `model.inputs` order) and writes the results into the
    /// caller's `outputs` (in `model.outputs` order, shapes as `makeOutputBuffers()` makes them).
    /// Performs no heap allocation when `outputs` hold uniquely referenced storage.
    public func run(inputs: [Tensor], outputs: inout [Tensor]) throws(InferenceError) {
        let plan = model.plan
        let planInputs = model.inputBindings, planOutputs = model.outputBindings
        guard inputs.count == planInputs.count else {
            throw .argumentCountMismatch(kind: "inputs", expected: planInputs.count, actual: inputs.count)
        }
        guard outputs.count == planOutputs.count else {
            throw .argumentCountMismatch(kind: "outputs", expected: planOutputs.count, actual: outputs.count)
        }
        for index in 0..<inputs.count where inputs[index].shape != planInputs[index].shape {
            throw .tensorShapeMismatch(name: planInputs[index].name, expected: planInputs[index].shape,
                                       actual: inputs[index].shape)
        }
        for index in 0..<outputs.count where outputs[index].shape != planOutputs[index].shape {
            throw .tensorShapeMismatch(name: planOutputs[index].name, expected: planOutputs[index].shape,
                                       actual: outputs[index].shape)
        }
        copyIn(inputs)
        workers?.beginRun()
        plan.run(buffers: buffers, workers: workers)
        workers?.endRun()
        for index in 0..<outputs.count {
            let source = buffers[planOutputs[index].storage]
            outputs[index].layout = .nchw
            outputs[index].elements.withUnsafeMutableBufferPointer { destination in
                if let base = destination.baseAddress { base.update(from: source, count: destination.count) }
            }
        }
    }

    /// Copies `inputs` (already checked) into their arena slots, NHWC tensors transposed to NCHW.
    private func copyIn(_ inputs: [Tensor]) {
        let planInputs = model.inputBindings
        for index in 0..<inputs.count {
            let destination = buffers[planInputs[index].storage]
            let tensor = inputs[index]
            tensor.elements.withUnsafeBufferPointer { source in
                if tensor.layout == .nhwc && tensor.shape.count == 4 {
                    let (n, c, h, w) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
                    for image in 0..<n {
                        for channel in 0..<c {
                            for pixel in 0..<(h * w) {
                                destination[(image * c + channel) * h * w + pixel] = source[(image * h * w + pixel) * c + channel]
                            }
                        }
                    }
                } else if let base = source.baseAddress {
                    destination.update(from: base, count: source.count)
                }
            }
        }
    }

    /// Runs the model `runs` times on `inputs` and returns each plan step's median time, in plan
    /// order, so a user can see which layers dominate a model's cost. Allocates; not for the hot path.
    public func profileSteps(inputs: [Tensor], runs: Int) throws(InferenceError) -> [StepTiming] {
        var outputs = makeOutputBuffers()
        try run(inputs: inputs, outputs: &outputs)
        let plan = model.plan
        var samples = [[Double]](repeating: [], count: plan.stepCount)
        for _ in 0..<max(1, runs) {
            copyIn(inputs)   // the arena reuses input slots, so every run starts from the real inputs
            workers?.beginRun()
            for index in 0..<plan.stepCount {
                let start = DispatchTime.now().uptimeNanoseconds
                plan.runStep(index, buffers: buffers, workers: workers)
                samples[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            workers?.endRun()
        }
        return (0..<plan.stepCount).map { index in
            let sorted = samples[index].sorted()
            return StepTiming(step: plan.stepSummary(index), milliseconds: sorted[sorted.count / 2])
        }
    }

    /// Convenience form that allocates and returns fresh output tensors.
    public func run(inputs: [Tensor]) throws(InferenceError) -> [Tensor] {
        var outputs = makeOutputBuffers()
        try run(inputs: inputs, outputs: &outputs)
        return outputs
    }
}
