import InferenceGraph
extension Planner {
    /// Lowers one node (and whatever following nodes it fuses) to steps.
    mutating func lower(_ index: Int) throws(InferenceError) {
        let node = graph.nodes[index]
        if try foldConstant(node) { return }
        switch node.operatorType {
        case "Conv": try lowerConvolution(index)
        case "Gemm", "MatMul": try lowerMatrixProduct(index)
        case "BatchNormalization": try lowerBatchNormalization(node)
        case "MaxPool", "AveragePool": try lowerPooling(node)
        case "GlobalAveragePool", "GlobalMaxPool": try lowerGlobalPooling(node)
        case "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "PRelu": try lowerBinary(node)
        case "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh":
            guard let activation = activation(of: node) else {
                throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "bounds must be constants")
            }
            let input = try runtime(try first(node), node: node.name)
            let output = try newValue(input.shape, layout: input.layout, name: node.outputs[0])
            emit(ActivationStep(input: input.storage, output: output.storage, count: input.count, activation: activation),
                 reads: [input.storage])
            define(node.outputs[0], output)
        case "Identity", "Dropout", "Cast":
            define(node.outputs[0], try runtime(try first(node), node: node.name))
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze": try lowerReshape(node)
        case "Transpose": try lowerTranspose(node)
        case "Concat": try lowerConcat(node)
        case "Split": try lowerSplit(node)
        case "Slice": try lowerSlice(node)
        case "Pad": try lowerPad(node)
        case "Resize", "Upsample": try lowerResize(node)
        case "Softmax", "LogSoftmax": try lowerSoftmax(node)
        default:
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "")
        }
    }

    func first(_ node: GraphNode) throws(InferenceError) -> String {
        guard let name = node.input(0) else {
            throw .shapeMismatch(node: node.name, detail: "\(node.operatorType) needs an input")
        }
        return name
    }

    /// Logical shape of a run-time value or constant.
    mutating func shape(of name: String, node: String) throws(InferenceError) -> [Int] {
        if let constant = constants[name] { return constant.shape }
        return try runtime(name, node: node).shape
    }

    /// Integer contents of a constant operand (axes, shapes, pads).
    func constantIntegers(_ name: String?, node: GraphNode, what: String) throws(InferenceError) -> [Int]? {
        guard let name else { return nil }
        guard let constant = constants[name] else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "\(what) must be a constant")
        }
        return constant.integerValues
    }

    /// Normalises a possibly negative axis.
    func axis(_ value: Int, rank: Int, node: GraphNode) throws(InferenceError) -> Int {
        let normalized = value < 0 ? value + rank : value
        guard normalized >= 0 && normalized < max(rank, 1) else {
            throw .invalidAttribute(node: node.name, name: "axis", detail: "\(value) for rank \(rank)")
        }
        return normalized
    }

    /// NumPy broadcasting of two shapes.
    func broadcast(_ a: [Int], _ b: [Int], node: GraphNode) throws(InferenceError) -> [Int] {
        let rank = max(a.count, b.count)
        let left = [Int](repeating: 1, count: rank - a.count) + a
        let right = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for axis in 0..<rank {
            if left[axis] == right[axis] || right[axis] == 1 { result.append(left[axis]) }
            else if left[axis] == 1 { result.append(right[axis]) }
            else { throw .shapeMismatch(node: node.name, detail: "cannot broadcast \(a) with \(b)") }
        }
        return result
    }
}
