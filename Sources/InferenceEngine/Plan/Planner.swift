import InferenceGraph
/// A run-time tensor during planning: the arena slot holding it, its logical shape and layout.
struct PlannedValue: Sendable {
    var storage: Int
    var shape: [Int]
    var layout: TensorLayout

    /// Shape in memory order.
    var physicalShape: [Int] {
        layout == .nhwc ? [shape[0], shape[2], shape[3], shape[1]] : shape
    }
    var count: Int { shape.reduce(1, *) }
}

/// One arena slot: its size and the interval of steps during which it must stay intact.
struct StorageSlot: Sendable {
    var count: Int
    var firstStep: Int
    var lastStep: Int
    /// Contents copied in when a session is made (constants needed at run time).
    var initialValues: [Float]?
    var offset = 0
}

/// The compiled form of a graph: steps in order, arena slots with offsets, and the graph's inputs and outputs.
struct ExecutionPlan: Sendable {
    /// Floats in a session's arena.
    var steps: [any ExecutionStep]
    var storages: [StorageSlot]
    var arenaCount: Int
    var plannedInputs: [(name: String, value: PlannedValue)]
    var plannedOutputs: [(name: String, value: PlannedValue)]
}

/// Lowers a `GraphIR` to an `ExecutionPlan`: infers shapes node by node, folds constants, fuses
/// BatchNorm/activation/residual Add into convolutions, keeps 4-D activations NHWC, and assigns
/// every slot an arena offset from the slots' lifetimes.
struct Planner {
    var graph: GraphIR
    var values: [String: PlannedValue] = [:]
    var constants: [String: ConstantTensor]
    var storages: [StorageSlot] = []
    var steps: [any ExecutionStep] = []
    var layoutCache: [String: PlannedValue] = [:]
    var constantSlots: [String: PlannedValue] = [:]
    /// How many nodes (and graph outputs) read each tensor: fusion needs a single reader.
    var readers: [String: Int] = [:]
    var skipped: Set<Int> = []
    var nodeIndexByInput: [String: [Int]] = [:]

    init(graph: GraphIR) {
        self.graph = graph
        self.constants = graph.constants
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                readers[input, default: 0] += 1
                nodeIndexByInput[input, default: []].append(index)
            }
        }
        for output in graph.outputs { readers[output.name, default: 0] += 1 }
    }

    static func plan(_ graph: GraphIR) throws(InferenceError) -> ExecutionPlan {
        var planner = Planner(graph: graph)
        return try planner.build()
    }

    mutating func build() throws(InferenceError) -> ExecutionPlan {
        var inputs: [(String, PlannedValue)] = []
        for input in graph.inputs {
            guard let shape = input.shape else {
                throw .shapeMismatch(node: input.name, detail: "graph input has no static shape")
            }
            let value = PlannedValue(storage: try newStorage(shape.reduce(1, *), name: input.name, first: -1),
                                     shape: shape, layout: .nchw)
            values[input.name] = value
            inputs.append((input.name, value))
        }
        for index in graph.nodes.indices where !skipped.contains(index) {
            try lower(index)
        }
        var outputs: [(String, PlannedValue)] = []
        for output in graph.outputs {
            let value = try require(output.name, layout: .nchw, node: "graph output")
            outputs.append((output.name, value))
        }
        for (_, value) in outputs { storages[value.storage].lastStep = Int.max }
        fuseExpansionsIntoDepthwise()
        let arenaCount = try assignOffsets()
        return ExecutionPlan(steps: steps, storages: storages, arenaCount: arenaCount, plannedInputs: inputs, plannedOutputs: outputs)
    }

    // MARK: Slots and steps

    mutating func newStorage(_ count: Int, name: String, first: Int? = nil) throws(InferenceError) -> Int {
        guard count <= maximumTensorElements else {
            throw .tensorTooLarge(name: name, detail: "\(count) elements exceeds \(maximumTensorElements)")
        }
        let step = first ?? steps.count
        storages.append(StorageSlot(count: count, firstStep: step, lastStep: step))
        return storages.count - 1
    }

    /// Makes a slot for a new value of `shape` in `layout`, written by the next step.
    mutating func newValue(_ shape: [Int], layout: TensorLayout, name: String) throws(InferenceError) -> PlannedValue {
        let count = try checkedElementCount(shape, name: name)
        return PlannedValue(storage: try newStorage(count, name: name), shape: shape, layout: layout)
    }

    /// Appends a step, extending the lifetimes of the slots it reads.
    mutating func emit(_ step: any ExecutionStep, reads: [Int]) {
        for storage in reads { storages[storage].lastStep = max(storages[storage].lastStep, steps.count) }
        steps.append(step)
    }

    /// The run-time value named `name`, materialising a constant into a pre-filled slot if needed.
    mutating func runtime(_ name: String, node: String) throws(InferenceError) -> PlannedValue {
        if let value = values[name] { return value }
        if let slot = constantSlots[name] { return slot }
        if let constant = constants[name] {
            let storage = try newStorage(constant.count, name: name, first: -1)
            storages[storage].initialValues = constant.floats
            storages[storage].lastStep = Int.max
            let value = PlannedValue(storage: storage, shape: constant.shape, layout: .nchw)
            constantSlots[name] = value
            return value
        }
        throw .missingTensor(name: name, node: node)
    }

    /// The value named `name` in `layout`, converting (or aliasing, when memory order agrees) as needed.
    mutating func require(_ name: String, layout: TensorLayout, node: String) throws(InferenceError) -> PlannedValue {
        let value = try runtime(name, node: node)
        return try convert(value, to: layout, cacheKey: name)
    }

    mutating func convert(_ value: PlannedValue, to layout: TensorLayout, cacheKey: String?) throws(InferenceError) -> PlannedValue {
        if value.layout == layout || value.shape.count != 4 { return value }
        if let key = cacheKey, let cached = layoutCache["\(key)|\(layout)"] { return cached }
        let (c, h, w) = (value.shape[1], value.shape[2], value.shape[3])
        var result: PlannedValue
        if c == 1 || (h == 1 && w == 1) {
            result = value
            result.layout = layout
        } else {
            result = try newValue(value.shape, layout: layout, name: cacheKey ?? "layout")
            let n = value.shape[0]
            let copy: StridedCopy
            if layout == .nhwc {   // source NCHW, output [n,h,w,c]
                copy = StridedCopy(shape: [n, h, w, c], strides: [c * h * w, w, 1, h * w], offset: 0)
            } else {               // source NHWC, output [n,c,h,w]
                copy = StridedCopy(shape: [n, c, h, w], strides: [h * w * c, 1, w * c, c], offset: 0)
            }
            emit(StridedCopyStep(input: value.storage, output: result.storage, copy: copy), reads: [value.storage])
        }
        if let key = cacheKey { layoutCache["\(key)|\(layout)"] = result }
        return result
    }

    /// Records `value` as the tensor named `name`.
    mutating func define(_ name: String, _ value: PlannedValue) {
        values[name] = value
    }

    /// Interval-based first-fit placement, largest slots first; every offset 64-byte aligned.
    mutating func assignOffsets() throws(InferenceError) -> Int {
        let order = storages.indices.sorted { storages[$0].count > storages[$1].count }
        var placed: [Int] = []
        var arena = 0
        for index in order {
            let slot = storages[index]
            let size = (slot.count + 15) & ~15
            var conflicts: [(Int, Int)] = []
            for other in placed {
                let o = storages[other]
                if o.firstStep <= slot.lastStep && slot.firstStep <= o.lastStep {
                    conflicts.append((o.offset, o.offset + ((o.count + 15) & ~15)))
                }
            }
            conflicts.sort { $0.0 < $1.0 }
            var offset = 0
            for (start, end) in conflicts {
                if offset + size <= start { break }
                offset = max(offset, end)
            }
            storages[index].offset = offset
            placed.append(index)
            arena = max(arena, offset + size)
        }
        guard arena <= maximumTensorElements * 2 else {
            throw .tensorTooLarge(name: "arena", detail: "\(arena) floats needed")
        }
        return arena
    }

    // MARK: Fusion helpers

    /// The single node reading `name`, if exactly one node reads it and it is not a graph output.
    func soleReader(of name: String) -> Int? {
        guard readers[name] == 1, let candidates = nodeIndexByInput[name], candidates.count == 1 else { return nil }
        return skipped.contains(candidates[0]) ? nil : candidates[0]
    }

    /// The activation a node computes, when its parameters are known at load time.
    func activation(of node: GraphNode) -> Activation? {
        switch node.operatorType {
        case "Relu": return .clip(lower: 0, upper: .infinity)
        case "Clip":
            var lower = node.float("min", default: -.infinity), upper = node.float("max", default: .infinity)
            if let name = node.input(1) {
                guard let constant = constants[name], constant.count == 1 else { return nil }
                lower = constant.floats[0]
            }
            if let name = node.input(2) {
                guard let constant = constants[name], constant.count == 1 else { return nil }
                upper = constant.floats[0]
            }
            return .clip(lower: lower, upper: upper)
        case "LeakyRelu": return .leakyRelu(alpha: node.float("alpha", default: 0.01))
        case "Sigmoid": return .sigmoid
        case "HardSigmoid": return .hardSigmoid(alpha: node.float("alpha", default: 0.2), beta: node.float("beta", default: 0.5))
        case "HardSwish": return .hardSwish
        case "Tanh": return .tanh
        default: return nil
        }
    }
}
