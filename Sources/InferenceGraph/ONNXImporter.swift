import Foundation
import SwiftProtobuf

/// Turns ONNX protobuf bytes into a validated `GraphIR`: decodes, checks the opset, converts
/// initializers (bounding their size before touching data), and orders nodes topologically.
package enum ONNXImporter {
    /// Lowest and highest default-domain opset accepted.
    static let supportedOpsets = 7...21

    package static func importModel(_ data: Data) throws(InferenceError) -> GraphIR {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw .malformedModel(reason: String(describing: error))
        }
        guard model.hasGraph else { throw .notAModel(reason: "no graph") }
        let graph = model.graph
        guard !graph.output.isEmpty else { throw .notAModel(reason: "graph has no outputs") }
        var opset = 0
        for entry in model.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" {
            opset = Int(clamping: entry.version)
        }
        if model.opsetImport.isEmpty { throw .notAModel(reason: "no opset_import") }
        guard supportedOpsets.contains(opset) else { throw .unsupportedOpset(version: opset) }

        var constants: [String: ConstantTensor] = [:]
        for initializer in graph.initializer {
            constants[initializer.name] = try convert(initializer, name: initializer.name)
        }
        var inputs: [GraphValue] = []
        for value in graph.input where constants[value.name] == nil {
            inputs.append(try graphValue(value))
        }
        var outputs: [GraphValue] = []
        for value in graph.output { outputs.append(try graphValue(value)) }

        var nodes: [GraphNode] = []
        nodes.reserveCapacity(graph.node.count)
        for (index, node) in graph.node.enumerated() {
            let name = node.name.isEmpty ? "\(node.opType)_\(index)" : node.name
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw .unsupportedOperator(operatorType: node.opType, node: name, detail: "domain \(node.domain)")
            }
            // Every operator writes its first output; the planner may rely on it being there and named.
            guard let first = node.output.first, !first.isEmpty else {
                throw .invalidAttribute(node: name, name: "output", detail: "the node names no output")
            }
            var attributes: [String: AttributeValue] = [:]
            for attribute in node.attribute {
                attributes[attribute.name] = try convert(attribute, node: name)
            }
            nodes.append(GraphNode(name: name, operatorType: node.opType, inputs: node.input,
                                   outputs: node.output, attributes: attributes))
        }
        let ordered = try topologicalOrder(nodes, available: Set(inputs.map(\.name)).union(constants.keys))
        return GraphIR(nodes: ordered, inputs: inputs, outputs: outputs, constants: constants, opsetVersion: opset)
    }

    private static func graphValue(_ value: Onnx_ValueInfoProto) throws(InferenceError) -> GraphValue {
        guard value.hasType, case .tensorType(let tensorType)? = value.type.value else {
            return GraphValue(name: value.name, shape: nil)
        }
        if tensorType.elemType != 1 && tensorType.elemType != 0 {
            throw .unsupportedDataType(name: value.name, dataType: Int(tensorType.elemType))
        }
        guard tensorType.hasShape else { return GraphValue(name: value.name, shape: nil) }
        let shape = tensorType.shape.dim.map { dimension -> Int in
            if case .dimValue(let size)? = dimension.value { return Int(clamping: size) }
            return 1   // symbolic (batch) dimension: plan for batch 1
        }
        _ = try checkedElementCount(shape, name: value.name)
        return GraphValue(name: value.name, shape: shape)
    }

    /// Converts an ONNX tensor, verifying the stored data matches its dimensions before copying.
    static func convert(_ tensor: Onnx_TensorProto, name: String) throws(InferenceError) -> ConstantTensor {
        var shape: [Int] = []
        for dimension in tensor.dims {
            guard dimension >= 0, dimension <= Int64(maximumTensorElements) else {
                throw .tensorTooLarge(name: name, detail: "dimension \(dimension)")
            }
            shape.append(Int(dimension))
        }
        let count = try checkedElementCount(shape, name: name)
        if tensor.dataLocation == .external {
            throw .invalidTensorData(name: name, detail: "external data is not supported")
        }
        let raw = tensor.rawData
        let hasRaw = tensor.hasRawData
        func checkRaw(_ width: Int) throws(InferenceError) {
            guard raw.count == count * width else {
                throw .invalidTensorData(name: name, detail: "raw_data has \(raw.count) bytes, shape \(shape) needs \(count * width)")
            }
        }
        func checkCount(_ actual: Int) throws(InferenceError) {
            guard actual == count else {
                throw .invalidTensorData(name: name, detail: "\(actual) values for shape \(shape)")
            }
        }
        switch tensor.dataType {
        case 1:   // FLOAT
            if hasRaw {
                try checkRaw(4)
                let values = raw.withUnsafeBytes { bytes in
                    (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                }
                return ConstantTensor(shape: shape, floats: values)
            }
            try checkCount(tensor.floatData.count)
            return ConstantTensor(shape: shape, floats: tensor.floatData)
        case 11:  // DOUBLE
            if hasRaw {
                try checkRaw(8)
                let values = raw.withUnsafeBytes { bytes in
                    (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
                }
                return ConstantTensor(shape: shape, floats: values)
            }
            try checkCount(tensor.doubleData.count)
            return ConstantTensor(shape: shape, floats: tensor.doubleData.map { Float($0) })
        case 7:   // INT64
            if hasRaw {
                try checkRaw(8)
                let values = raw.withUnsafeBytes { bytes in
                    (0..<count).map { Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
                }
                return ConstantTensor(shape: shape, integers: values)
            }
            try checkCount(tensor.int64Data.count)
            return ConstantTensor(shape: shape, integers: tensor.int64Data.map { Int($0) })
        case 6, 2, 3, 5, 9:   // INT32, UINT8, INT8, INT16, BOOL
            if hasRaw {
                let width = tensor.dataType == 6 ? 4 : (tensor.dataType == 5 ? 2 : 1)
                try checkRaw(width)
                let signed = tensor.dataType != 2 && tensor.dataType != 9
                let values = raw.withUnsafeBytes { bytes -> [Int] in
                    (0..<count).map { index -> Int in
                        switch width {
                        case 4: Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
                        case 2: Int(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: Int16.self)))
                        default: signed ? Int(Int8(bitPattern: bytes[index])) : Int(bytes[index])
                        }
                    }
                }
                return ConstantTensor(shape: shape, integers: values)
            }
            try checkCount(tensor.int32Data.count)
            return ConstantTensor(shape: shape, integers: tensor.int32Data.map { Int($0) })
        default:
            throw .unsupportedDataType(name: name, dataType: Int(tensor.dataType))
        }
    }

    private static func convert(_ attribute: Onnx_AttributeProto, node: String) throws(InferenceError) -> AttributeValue {
        switch attribute.type {
        case .float: return .float(attribute.f)
        case .int: return .integer(Int(clamping: attribute.i))
        case .string: return .string(String(decoding: attribute.s, as: UTF8.self))
        case .floats: return .floats(attribute.floats)
        case .ints: return .integers(attribute.ints.map { Int(clamping: $0) })
        case .tensor: return .tensor(try convert(attribute.t, name: "\(node).\(attribute.name)"))
        default:
            // Untyped attributes from old exporters: infer from which field is set.
            if attribute.hasF { return .float(attribute.f) }
            if attribute.hasI { return .integer(Int(clamping: attribute.i)) }
            if attribute.hasS { return .string(String(decoding: attribute.s, as: UTF8.self)) }
            if !attribute.ints.isEmpty { return .integers(attribute.ints.map { Int(clamping: $0) }) }
            if !attribute.floats.isEmpty { return .floats(attribute.floats) }
            if attribute.hasT { return .tensor(try convert(attribute.t, name: "\(node).\(attribute.name)")) }
            throw .invalidAttribute(node: node, name: attribute.name, detail: "unsupported attribute type \(attribute.type)")
        }
    }

    /// Kahn's algorithm; a node whose inputs never become available is either part of a cycle
    /// or reads an undefined tensor, and the error says which.
    static func topologicalOrder(_ nodes: [GraphNode], available initial: Set<String>) throws(InferenceError) -> [GraphNode] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producer[output] = index }
        }
        var pending = [Int](repeating: 0, count: nodes.count)
        var consumers: [String: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where !input.isEmpty && !initial.contains(input) {
                guard producer[input] != nil else { throw .missingTensor(name: input, node: node.name) }
                pending[index] += 1
                consumers[input, default: []].append(index)
            }
        }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var ordered: [GraphNode] = []
        ordered.reserveCapacity(nodes.count)
        var cursor = 0
        while cursor < ready.count {
            let node = nodes[ready[cursor]]
            cursor += 1
            ordered.append(node)
            for output in node.outputs where !output.isEmpty {
                for consumer in consumers[output] ?? [] {
                    pending[consumer] -= 1
                    if pending[consumer] == 0 { ready.append(consumer) }
                }
            }
        }
        if ordered.count < nodes.count {
            let stuck = (0..<nodes.count).first { pending[$0] > 0 }!
            throw .graphCycle(node: nodes[stuck].name)
        }
        return ordered
    }
}
