import InferenceGraph
extension Planner {
    static let binaryOperators: [String: BinaryOperator] = [
        "Add": .add, "Sub": .subtract, "Mul": .multiply, "Div": .divide, "Max": .maximum, "Min": .minimum,
        "Pow": .power, "PRelu": .preluSlope,
    ]

    /// A broadcast binary operator. 4-D results stay NHWC when a run-time operand already is;
    /// constant operands are re-laid out at load time to match.
    mutating func lowerBinary(_ node: GraphNode) throws(InferenceError) {
        guard node.inputs.count == 2, let op = Self.binaryOperators[node.operatorType],
              let leftName = node.input(0), let rightName = node.input(1) else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "needs exactly two inputs")
        }
        var leftShape = try shape(of: leftName, node: node.name)
        var rightShape = try shape(of: rightName, node: node.name)
        if op == .preluSlope, rightShape.count == 1, leftShape.count > 2, rightShape[0] == leftShape[1] {
            rightShape = [rightShape[0]] + [Int](repeating: 1, count: leftShape.count - 2)   // per-channel slope
        }
        let outputShape = try broadcast(leftShape, rightShape, node: node)
        _ = try checkedElementCount(outputShape, name: node.outputs[0])
        let rank = outputShape.count
        leftShape = [Int](repeating: 1, count: rank - leftShape.count) + leftShape
        rightShape = [Int](repeating: 1, count: rank - rightShape.count) + rightShape
        let nhwc = rank == 4 && [leftName, rightName].contains { values[$0]?.layout == .nhwc }
        let layout: TensorLayout = nhwc ? .nhwc : .nchw
        func operand(_ name: String, _ shape: [Int]) throws(InferenceError) -> (PlannedValue, [Int]) {
            if let constant = constants[name], layout == .nhwc {
                // Re-lay the (small) constant as NHWC once, keeping its broadcast dimensions.
                let physical = [shape[0], shape[2], shape[3], shape[1]]
                let source = StridedCopy.contiguousStrides(shape)
                let copy = StridedCopy(shape: physical, strides: [source[0], source[2], source[3], source[1]], offset: 0)
                var data = [Float](repeating: 0, count: constant.count)
                constant.floats.withUnsafeBufferPointer { input in
                    data.withUnsafeMutableBufferPointer { output in copy.run(input: input.baseAddress!, output: output.baseAddress!) }
                }
                let key = "\(name)|nhwc-constant|\(shape)"
                if let cached = constantSlots[key] { return (cached, physical) }
                let storage = try newStorage(constant.count, name: name, first: -1)
                storages[storage].initialValues = data
                storages[storage].lastStep = Int.max
                let value = PlannedValue(storage: storage, shape: shape, layout: .nhwc)
                constantSlots[key] = value
                return (value, physical)
            }
            var value = try runtime(name, node: node.name)
            value.shape = shape   // rank-extended alias
            value = try convert(value, to: layout, cacheKey: values[name] != nil && value.shape.count == (values[name]?.shape.count ?? 0) ? name : nil)
            return (value, value.physicalShape)
        }
        let (left, leftPhysical) = try operand(leftName, leftShape)
        let (right, rightPhysical) = try operand(rightName, rightShape)
        let output = try newValue(outputShape, layout: layout, name: node.outputs[0])
        let plan = BroadcastPlan(left: leftPhysical, right: rightPhysical, output: output.physicalShape)
        emit(BinaryStep(left: left.storage, right: right.storage, output: output.storage, op: op, plan: plan),
             reads: [left.storage, right.storage])
        define(node.outputs[0], output)
    }
}
