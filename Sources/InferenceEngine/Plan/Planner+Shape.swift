import InferenceGraph
extension Planner {
    /// Output shape of Reshape, Flatten, Squeeze or Unsqueeze.
    func reshapedShape(_ node: GraphNode, input: [Int]) throws(InferenceError) -> [Int] {
        let count = input.reduce(1, *)
        switch node.operatorType {
        case "Reshape":
            guard let requested = try constantIntegers(node.input(1), node: node, what: "shape") else {
                throw .invalidAttribute(node: node.name, name: "shape", detail: "missing")
            }
            let allowZero = node.integer("allowzero", default: 0) != 0
            var shape: [Int] = []
            var inferred: Int?
            for (axis, size) in requested.enumerated() {
                if size == 0 && !allowZero {
                    guard axis < input.count else { throw .shapeMismatch(node: node.name, detail: "0 in shape beyond input rank") }
                    shape.append(input[axis])
                } else if size == -1 {
                    guard inferred == nil else { throw .invalidAttribute(node: node.name, name: "shape", detail: "two -1 entries") }
                    inferred = axis
                    shape.append(1)
                } else if size < 0 {
                    throw .invalidAttribute(node: node.name, name: "shape", detail: "negative size \(size)")
                } else {
                    shape.append(size)
                }
            }
            let known = try checkedElementCount(shape, name: node.outputs[0])
            if let axis = inferred {
                guard known > 0, count % known == 0 else {
                    throw .shapeMismatch(node: node.name, detail: "cannot reshape \(input) to \(requested)")
                }
                shape[axis] = count / known
            }
            guard shape.reduce(1, *) == count else {
                throw .shapeMismatch(node: node.name, detail: "cannot reshape \(input) to \(requested)")
            }
            return shape
        case "Flatten":
            let axis = try self.axis(node.integer("axis", default: 1), rank: input.count + 1, node: node)
            return [input[..<axis].reduce(1, *), input[axis...].reduce(1, *)]
        case "Squeeze":
            let axes = try constantIntegers(node.input(1), node: node, what: "axes") ?? node.integers("axes")
            if let axes {
                var normalized = Set<Int>()
                for value in axes { normalized.insert(try axis(value, rank: input.count, node: node)) }
                for axis in normalized where input[axis] != 1 {
                    throw .shapeMismatch(node: node.name, detail: "cannot squeeze axis \(axis) of \(input)")
                }
                return input.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
            }
            return input.filter { $0 != 1 }
        default:   // Unsqueeze
            guard let axes = try constantIntegers(node.input(1), node: node, what: "axes") ?? node.integers("axes") else {
                throw .invalidAttribute(node: node.name, name: "axes", detail: "missing")
            }
            let rank = input.count + axes.count
            var normalized = Set<Int>()
            for value in axes { normalized.insert(try axis(value, rank: rank, node: node)) }
            guard normalized.count == axes.count else { throw .invalidAttribute(node: node.name, name: "axes", detail: "repeated") }
            var source = input.makeIterator()
            return (0..<rank).map { normalized.contains($0) ? 1 : source.next()! }
        }
    }

    /// Evaluates nodes whose inputs are all constants (shape arithmetic from exporters). Returns
    /// false when the node must run at run time.
    mutating func foldConstant(_ node: GraphNode) throws(InferenceError) -> Bool {
        switch node.operatorType {
        case "Constant":
            guard let output = node.outputs.first else { return true }
            switch node.attributes["value"] ?? node.attributes["value_float"] ?? node.attributes["value_floats"]
                ?? node.attributes["value_int"] ?? node.attributes["value_ints"] {
            case .tensor(let tensor)?: constants[output] = tensor
            case .float(let value)?: constants[output] = ConstantTensor(shape: [], floats: [value])
            case .floats(let values)?: constants[output] = ConstantTensor(shape: [values.count], floats: values)
            case .integer(let value)?: constants[output] = ConstantTensor(shape: [], integers: [value])
            case .integers(let values)?: constants[output] = ConstantTensor(shape: [values.count], integers: values)
            default: throw .invalidAttribute(node: node.name, name: "value", detail: "missing or unsupported")
            }
            return true
        case "Shape":
            let shape = try self.shape(of: try first(node), node: node.name)
            let rank = shape.count
            let start = node.integer("start", default: 0), end = node.integer("end", default: rank)
            let from = max(0, min(rank, start < 0 ? start + rank : start)), to = max(from, min(rank, end < 0 ? end + rank : end))
            let dims = Array(shape[from..<to])
            constants[node.outputs[0]] = ConstantTensor(shape: [dims.count], integers: dims)
            return true
        default:
            break
        }
        let present = node.inputs.filter { !$0.isEmpty }
        guard !present.isEmpty, present.allSatisfy({ constants[$0] != nil }), node.outputs.count == 1 else { return false }
        let inputs = present.map { constants[$0]! }
        let output = node.outputs[0]
        switch node.operatorType {
        case "Identity", "Cast", "Dropout":
            constants[output] = inputs[0]
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            var tensor = inputs[0]
            tensor.shape = try reshapedShape(node, input: tensor.shape)
            constants[output] = tensor
        case "Concat":
            let rank = inputs[0].shape.count
            let axis = try self.axis(node.integer("axis", default: 0), rank: rank, node: node)
            guard inputs.allSatisfy({ $0.shape.count == rank }) else { throw .shapeMismatch(node: node.name, detail: "ranks differ") }
            let outer = inputs[0].shape[..<axis].reduce(1, *)
            var shape = inputs[0].shape
            shape[axis] = inputs.map { $0.shape[axis] }.reduce(0, +)
            let integral = inputs.allSatisfy { $0.integers != nil }
            var floats: [Float] = [], integers: [Int] = []
            for index in 0..<outer {
                for tensor in inputs {
                    let chunk = tensor.shape[axis...].reduce(1, *)
                    floats += tensor.floats[(index * chunk)..<((index + 1) * chunk)]
                    if integral { integers += tensor.integers![(index * chunk)..<((index + 1) * chunk)] }
                }
            }
            constants[output] = integral ? ConstantTensor(shape: shape, integers: integers) : ConstantTensor(shape: shape, floats: floats)
        case "Gather":
            let data = inputs[0]
            guard inputs.count == 2, data.shape.count >= 1 else { return false }
            let axis = try self.axis(node.integer("axis", default: 0), rank: data.shape.count, node: node)
            let indices = inputs[1].integerValues
            let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
            let size = data.shape[axis]
            var floats: [Float] = [], integers: [Int] = []
            for o in 0..<outer {
                for raw in indices {
                    let index = raw < 0 ? raw + size : raw
                    guard index >= 0 && index < size else {
                        throw .invalidAttribute(node: node.name, name: "indices", detail: "\(raw) out of range \(size)")
                    }
                    let start = (o * size + index) * inner
                    floats += data.floats[start..<(start + inner)]
                    if let source = data.integers { integers += source[start..<(start + inner)] }
                }
            }
            let shape = Array(data.shape[..<axis]) + inputs[1].shape + Array(data.shape[(axis + 1)...])
            constants[output] = data.integers != nil ? ConstantTensor(shape: shape, integers: integers) : ConstantTensor(shape: shape, floats: floats)
        case "Add", "Sub", "Mul", "Div":
            guard inputs.count == 2 else { return false }
            let (a, b) = (inputs[0], inputs[1])
            let shape = try broadcast(a.shape, b.shape, node: node)
            let rank = shape.count
            let plan = BroadcastPlan(left: [Int](repeating: 1, count: rank - a.shape.count) + a.shape,
                                     right: [Int](repeating: 1, count: rank - b.shape.count) + b.shape, output: shape)
            if let x = a.integers, let y = b.integers {
                // Exact integer arithmetic for shape computations.
                var result = [Int]()
                let count = shape.reduce(1, *)
                let leftStrides = strides(a.shape, rank: rank, output: shape), rightStrides = strides(b.shape, rank: rank, output: shape)
                for flat in 0..<count {
                    var remainder = flat, i = 0, j = 0
                    for axis in stride(from: rank - 1, through: 0, by: -1) {
                        let coordinate = remainder % shape[axis]
                        remainder /= shape[axis]
                        i += coordinate * leftStrides[axis]; j += coordinate * rightStrides[axis]
                    }
                    switch node.operatorType {
                    case "Add": result.append(x[i] &+ y[j])   // wrapping: absurd values fail later, never trap
                    case "Sub": result.append(x[i] &- y[j])
                    case "Mul": result.append(x[i] &* y[j])
                    default:
                        guard y[j] != 0 else { throw .invalidAttribute(node: node.name, name: "B", detail: "division by zero") }
                        let quotient = (Double(x[i]) / Double(y[j])).rounded(.down)
                        result.append(Int(max(-0x1p60, min(0x1p60, quotient))))
                    }
                }
                constants[output] = ConstantTensor(shape: shape, integers: result)
            } else {
                var result = [Float](repeating: 0, count: shape.reduce(1, *))
                a.floats.withUnsafeBufferPointer { left in
                    b.floats.withUnsafeBufferPointer { right in
                        result.withUnsafeMutableBufferPointer { out in
                            plan.run(Self.binaryOperators[node.operatorType]!, left: left.baseAddress!, right: right.baseAddress!,
                                     output: out.baseAddress!)
                        }
                    }
                }
                constants[output] = ConstantTensor(shape: shape, floats: result)
            }
        default:
            return false
        }
        return true
    }

    /// Strides of `shape` right-aligned to `rank`, zero on broadcast axes.
    func strides(_ shape: [Int], rank: Int, output: [Int]) -> [Int] {
        let extended = [Int](repeating: 1, count: rank - shape.count) + shape
        var result = [Int](repeating: 0, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            result[axis] = extended[axis] == 1 && output[axis] != 1 ? 0 : running
            running *= extended[axis]
        }
        return result
    }

    mutating func lowerReshape(_ node: GraphNode) throws(InferenceError) {
        let input = try require(try first(node), layout: .nchw, node: node.name)
        var output = input
        output.shape = try reshapedShape(node, input: input.shape)
        define(node.outputs[0], output)
    }
}
