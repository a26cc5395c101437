import InferenceGraph

/// This kernel level's planner. The module is compiled once per `KernelLevel` (InferenceEngineAVX2,
/// InferenceEngineAVX512: the same sources, each with its own `-target-cpu`), and InferenceCore calls the `Engine` of
/// the level chosen for the process.
package enum Engine: PlanCompiler {
    package static func compile(_ graph: GraphIR) throws(InferenceError) -> any CompiledPlan {
        try Planner.plan(graph)
    }
}

extension ExecutionPlan: CompiledPlan {
    package var inputs: [PlanBinding] {
        plannedInputs.map { PlanBinding(name: $0.name, shape: $0.value.shape, storage: $0.value.storage) }
    }
    package var outputs: [PlanBinding] {
        plannedOutputs.map { PlanBinding(name: $0.name, shape: $0.value.shape, storage: $0.value.storage) }
    }
    package var slotOffsets: [Int] { storages.map(\.offset) }
    package var slotInitialValues: [[Float]?] { storages.map(\.initialValues) }
    package var stepCount: Int { steps.count }

    package var multiplyAccumulateCount: Int { Self.multiplyAccumulateCount(of: steps) }

    /// The multiply-accumulates of `steps` as the network defines them, fused steps counted as their parts.
    private static func multiplyAccumulateCount(of steps: [any ExecutionStep]) -> Int {
        steps.reduce(0) { total, step in
            switch step {
            case let fused as ExpansionThenDepthwiseStep:
                total &+ multiplyAccumulateCount(of: [fused.expansion, fused.depthwise])
            case let gemm as PackedGEMMStep: total &+ gemm.rows &* gemm.packed.rows &* gemm.packed.columns
            case let conv as Im2colConvolutionStep:
                total &+ conv.batch &* conv.groups &* conv.geometry.outputHeight &* conv.geometry.outputWidth
                    &* conv.packed.rows &* conv.packed.columns
            case let direct as DirectConvolutionStep:
                total &+ direct.batch &* direct.outputChannels &* direct.geometry.outputHeight &* direct.geometry.outputWidth
                    &* direct.geometry.kernelHeight &* direct.geometry.kernelWidth &* direct.inputChannels
            case let winograd as WinogradConvolutionStep:  // the network's count, not the fewer multiplies Winograd does
                total &+ winograd.batch &* winograd.outputChannels &* winograd.geometry.outputHeight
                    &* winograd.geometry.outputWidth &* 9 &* winograd.inputChannels
            case let depthwise as DepthwiseConvolutionStep:
                total &+ depthwise.batch &* depthwise.channels &* depthwise.geometry.outputHeight
                    &* depthwise.geometry.outputWidth &* depthwise.geometry.kernelHeight &* depthwise.geometry.kernelWidth
            default: total
            }
        }
    }

    package func run(buffers: UnsafePointer<UnsafeMutablePointer<Float>>, workers: WorkerPool?) {
        let context = ExecutionContext(buffers: buffers, workers: workers)
        for step in steps { step.execute(context) }
    }

    package func runStep(_ index: Int, buffers: UnsafePointer<UnsafeMutablePointer<Float>>, workers: WorkerPool?) {
        steps[index].execute(ExecutionContext(buffers: buffers, workers: workers))
    }

    /// The step's type and its scalar parameters (nested ones flattened, arrays and weights left out).
    package func stepSummary(_ index: Int) -> String {
        func scalars(_ value: Any, prefix: String, depth: Int) -> [String] {
            Mirror(reflecting: value).children.flatMap { child -> [String] in
                guard let label = child.label else { return [] }
                let mirror = Mirror(reflecting: child.value)
                switch mirror.displayStyle {
                case .struct? where depth > 0: return scalars(child.value, prefix: label + ".", depth: depth - 1)
                case .collection?, .dictionary?, .set?, .class?, .struct?: return []
                default: return ["\(prefix)\(label)=\(child.value)"]
                }
            }
        }
        let step = steps[index]
        return "\(type(of: step)) " + scalars(step, prefix: "", depth: 1).joined(separator: " ")
    }
}
