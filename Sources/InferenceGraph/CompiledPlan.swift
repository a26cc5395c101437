/// A graph input or output of a compiled plan: its name, logical shape and arena slot.
package struct PlanBinding: Sendable {
    package let name: String
    package let shape: [Int]
    package let storage: Int

    package init(name: String, shape: [Int], storage: Int) {
        self.name = name
        self.shape = shape
        self.storage = storage
    }
}

/// An execution plan compiled by one kernel level's engine (`InferenceEngineAVX2`, `InferenceEngineAVX512`: the same
/// sources compiled for each level). InferenceCore, compiled for the x86-64-v3 baseline, holds plans only through this
/// protocol, so no instruction of a level runs unless that level was chosen.
package protocol CompiledPlan: Sendable {
    var inputs: [PlanBinding] { get }
    var outputs: [PlanBinding] { get }
    /// Floats in a session's arena.
    var arenaCount: Int { get }
    /// Arena offset of each storage slot, and the constants copied into it when a session is made.
    var slotOffsets: [Int] { get }
    var slotInitialValues: [[Float]?] { get }
    var stepCount: Int { get }
    /// Multiply-accumulates of one run, counted from the convolutions and GEMMs.
    var multiplyAccumulateCount: Int { get }
    /// Runs every step on the arena whose slots start at `buffers`.
    func run(buffers: UnsafePointer<UnsafeMutablePointer<Float>>, workers: WorkerPool?)
    /// Runs step `index` only (profiling).
    func runStep(_ index: Int, buffers: UnsafePointer<UnsafeMutablePointer<Float>>, workers: WorkerPool?)
    /// Step `index`'s kind and scalar parameters, on one line.
    func stepSummary(_ index: Int) -> String
}

/// One kernel level's planner.
package protocol PlanCompiler {
    /// Lowers `graph` to a plan whose steps call this level's kernels, with weights packed for them.
    static func compile(_ graph: GraphIR) throws(InferenceError) -> any CompiledPlan
}
