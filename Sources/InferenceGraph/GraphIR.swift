/// A constant tensor known at load time: an initializer, a `Constant` node or a folded result.
/// Integer tensors (shapes, axes, indices) keep exact integers alongside their float view.
package struct ConstantTensor: Sendable {
    package var shape: [Int]
    package var floats: [Float]
    /// Exact values when the source was an integer tensor; otherwise nil.
    package var integers: [Int]?

    package init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.floats = floats
        self.integers = nil
    }

    package init(shape: [Int], integers: [Int]) {
        self.shape = shape
        self.integers = integers
        self.floats = integers.map { Float($0) }
    }

    package var count: Int { floats.count }
    /// Exact integer view (rounded from floats when the source was a float tensor).
    package var integerValues: [Int] { integers ?? floats.map(boundedInteger) }
}

/// One attribute value of a node.
package enum AttributeValue: Sendable {
    case float(Float)
    case integer(Int)
    case string(String)
    case floats([Float])
    case integers([Int])
    case tensor(ConstantTensor)
}

/// One operator invocation in the imported graph.
package struct GraphNode: Sendable {
    package var name: String
    package var operatorType: String
    /// Input names; an empty string marks an omitted optional input.
    package var inputs: [String]
    package var outputs: [String]
    package var attributes: [String: AttributeValue]

    package init(name: String, operatorType: String, inputs: [String], outputs: [String], attributes: [String: AttributeValue]) {
        self.name = name
        self.operatorType = operatorType
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    package func integer(_ key: String, default fallback: Int) -> Int {
        if case .integer(let value)? = attributes[key] { return value }
        return fallback
    }

    package func float(_ key: String, default fallback: Float) -> Float {
        if case .float(let value)? = attributes[key] { return value }
        if case .integer(let value)? = attributes[key] { return Float(value) }
        return fallback
    }

    package func integers(_ key: String) -> [Int]? {
        if case .integers(let values)? = attributes[key] { return values }
        return nil
    }

    package func string(_ key: String, default fallback: String) -> String {
        if case .string(let value)? = attributes[key] { return value }
        return fallback
    }

    /// The input at `index`, or nil when absent or omitted.
    package func input(_ index: Int) -> String? {
        index < inputs.count && !inputs[index].isEmpty ? inputs[index] : nil
    }
}

/// A declared graph input or output.
package struct GraphValue: Sendable {
    package var name: String
    /// Dimensions; symbolic dimensions are resolved to 1 (batch) at import.
    package var shape: [Int]?
}

/// The imported graph in topological order, before planning.
package struct GraphIR: Sendable {
    package var nodes: [GraphNode]
    package var inputs: [GraphValue]
    package var outputs: [GraphValue]
    package var constants: [String: ConstantTensor]
    package var opsetVersion: Int
}

/// Converts a float to an integer without trapping: NaN becomes 0, magnitudes clamp to 2^40.
package func boundedInteger(_ value: Float) -> Int {
    guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? 1 << 40 : -(1 << 40)) }
    return Int(max(-0x1p40, min(0x1p40, value.rounded())))
}

/// Upper bound on the elements of any one tensor (1 Gi floats = 4 GiB): larger dimensions are
/// rejected before any allocation.
package let maximumTensorElements = 1 << 28

/// Multiplies dimensions, failing on negative values, overflow or exceeding `maximumTensorElements`.
package func checkedElementCount(_ shape: [Int], name: String) throws(InferenceError) -> Int {
    var total = 1
    for dimension in shape {
        guard dimension >= 0 else { throw .tensorTooLarge(name: name, detail: "negative dimension in \(shape)") }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        guard !overflow, product <= maximumTensorElements else {
            throw .tensorTooLarge(name: name, detail: "shape \(shape) exceeds \(maximumTensorElements) elements")
        }
        total = product
    }
    return total
}
