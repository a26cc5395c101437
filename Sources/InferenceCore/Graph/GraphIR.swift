/// A constant tensor known at load time: an initializer, a `Constant` node or a folded result.
/// Integer tensors (shapes, axes, indices) keep exact integers alongside their float view.
struct ConstantTensor: Sendable {
    var shape: [Int]
    var floats: [Float]
    /// Exact values when the source was an integer tensor; otherwise nil.
    var integers: [Int]?

    init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.floats = floats
        self.integers = nil
    }

    init(shape: [Int], integers: [Int]) {
        self.shape = shape
        self.integers = integers
        self.floats = integers.map { Float($0) }
    }

    var count: Int { floats.count }
    /// Exact integer view (rounded from floats when the source was a float tensor).
    var integerValues: [Int] { integers ?? floats.map(boundedInteger) }
}

/// One attribute value of a node.
enum AttributeValue: Sendable {
    case float(Float)
    case integer(Int)
    case string(String)
    case floats([Float])
    case integers([Int])
    case tensor(ConstantTensor)
}

/// One operator invocation in the imported graph.
struct GraphNode: Sendable {
    var name: String
    var operatorType: String
    /// Input names; an empty string marks an omitted optional input.
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: AttributeValue]

    func integer(_ key: String, default fallback: Int) -> Int {
        if case .integer(let value)? = attributes[key] { return value }
        return fallback
    }

    func float(_ key: String, default fallback: Float) -> Float {
        if case .float(let value)? = attributes[key] { return value }
        if case .integer(let value)? = attributes[key] { return Float(value) }
        return fallback
    }

    func integers(_ key: String) -> [Int]? {
        if case .integers(let values)? = attributes[key] { return values }
        return nil
    }

    func string(_ key: String, default fallback: String) -> String {
        if case .string(let value)? = attributes[key] { return value }
        return fallback
    }

    /// The input at `index`, or nil when absent or omitted.
    func input(_ index: Int) -> String? {
        index < inputs.count && !inputs[index].isEmpty ? inputs[index] : nil
    }
}

/// A declared graph input or output.
struct GraphValue: Sendable {
    var name: String
    /// Dimensions; symbolic dimensions are resolved to 1 (batch) at import.
    var shape: [Int]?
}

/// The imported graph in topological order, before planning.
struct GraphIR: Sendable {
    var nodes: [GraphNode]
    var inputs: [GraphValue]
    var outputs: [GraphValue]
    var constants: [String: ConstantTensor]
    var opsetVersion: Int
}

/// Converts a float to an integer without trapping: NaN becomes 0, magnitudes clamp to 2^40.
func boundedInteger(_ value: Float) -> Int {
    guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? 1 << 40 : -(1 << 40)) }
    return Int(max(-0x1p40, min(0x1p40, value.rounded())))
}

/// Upper bound on the elements of any one tensor (1 Gi floats = 4 GiB): larger dimensions are
/// rejected before any allocation.
let maximumTensorElements = 1 << 28

/// Multiplies dimensions, failing on negative values, overflow or exceeding `maximumTensorElements`.
func checkedElementCount(_ shape: [Int], name: String) throws(InferenceError) -> Int {
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
