/// Why a model could not be loaded, planned or run. Every case reads as one line naming the
/// file, node or tensor at fault.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    /// The model file could not be read from disk.
    case unreadableFile(path: String, reason: String)
    /// The bytes are not a valid protobuf encoding of an ONNX model.
    case malformedModel(reason: String)
    /// The bytes decode as protobuf but hold no ONNX graph.
    case notAModel(reason: String)
    /// The model imports a default-domain opset we do not implement.
    case unsupportedOpset(version: Int)
    /// A node uses an operator (or operator variant) this runtime does not implement.
    case unsupportedOperator(operatorType: String, node: String, detail: String)
    /// A node reads a tensor that no node, input or initializer defines.
    case missingTensor(name: String, node: String)
    /// The nodes cannot be ordered: some node depends on its own output.
    case graphCycle(node: String)
    /// A node's inputs have shapes the operator cannot accept.
    case shapeMismatch(node: String, detail: String)
    /// An attribute or constant operand has a value the operator cannot accept.
    case invalidAttribute(node: String, name: String, detail: String)
    /// A tensor would be larger than the runtime's limit (protects against absurd dimensions).
    case tensorTooLarge(name: String, detail: String)
    /// An initializer's stored data does not match its declared type and shape.
    case invalidTensorData(name: String, detail: String)
    /// A tensor has an element type the runtime does not handle.
    case unsupportedDataType(name: String, dataType: Int)
    /// `run` was given the wrong number of inputs or outputs.
    case argumentCountMismatch(kind: String, expected: Int, actual: Int)
    /// A run-time input or output buffer does not have the shape the model declares.
    case tensorShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// No kernel level can run: `OCCLUMESH_ISA` or the caller asked for one this CPU lacks, or named none. The
    /// detail is `KernelSelectionError`'s line (bounded there), shown whole.
    case kernelSelection(detail: String)

    /// One line naming the cause. Names and details come from the model file, so each is shown with its line breaks
    /// as `\n` and cut to `excerptLength` characters: a hostile file can neither split nor flood the line.
    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): cannot read model (\(Self.excerpt(reason)))"
        case .malformedModel(let reason): "not a valid ONNX protobuf (\(Self.excerpt(reason)))"
        case .notAModel(let reason): "protobuf is not an ONNX model (\(Self.excerpt(reason)))"
        case .unsupportedOpset(let version): "unsupported ONNX opset \(version) (7 to 21 are supported)"
        case .unsupportedOperator(let op, let node, let detail):
            "node '\(Self.excerpt(node))': operator \(Self.excerpt(op)) is not supported\(detail.isEmpty ? "" : " (\(Self.excerpt(detail)))")"
        case .missingTensor(let name, let node): "node '\(Self.excerpt(node))': input tensor '\(Self.excerpt(name))' is not defined"
        case .graphCycle(let node): "graph has a cycle through node '\(Self.excerpt(node))'"
        case .shapeMismatch(let node, let detail): "node '\(Self.excerpt(node))': shape mismatch (\(Self.excerpt(detail)))"
        case .invalidAttribute(let node, let name, let detail): "node '\(Self.excerpt(node))': invalid '\(Self.excerpt(name))' (\(Self.excerpt(detail)))"
        case .tensorTooLarge(let name, let detail): "tensor '\(Self.excerpt(name))' is too large (\(Self.excerpt(detail)))"
        case .invalidTensorData(let name, let detail): "tensor '\(Self.excerpt(name))': invalid data (\(Self.excerpt(detail)))"
        case .unsupportedDataType(let name, let dataType): "tensor '\(Self.excerpt(name))': unsupported element type \(dataType)"
        case .argumentCountMismatch(let kind, let expected, let actual): "expected \(expected) \(kind), got \(actual)"
        case .kernelSelection(let detail): "cannot choose inference kernels: \(detail)"
        case .tensorShapeMismatch(let name, let expected, let actual):
            "tensor '\(Self.excerpt(name))': expected shape \(expected), got \(actual)"
        }
    }

    /// Longest name or detail quoted whole in a description.
    public static let excerptLength = 160

    /// `text` on one line (line breaks shown as `\n`), cut to `excerptLength` characters.
    package static func excerpt(_ text: String) -> String {
        let flat = String(text.flatMap { $0.isNewline ? Array("\\n") : [$0] })
        return flat.count <= excerptLength ? flat : "\(flat.prefix(excerptLength))… (\(text.count) characters)"
    }
}
