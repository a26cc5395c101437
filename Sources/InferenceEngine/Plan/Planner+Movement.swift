import InferenceGraph
import Foundation

extension Planner {
    /// Logical strides of a value in its current layout (how far memory moves per logical step).
    func logicalStrides(_ value: PlannedValue) -> [Int] {
        if value.layout == .nhwc {
            let (c, h, w) = (value.shape[1], value.shape[2], value.shape[3])
            return [h * w * c, 1, w * c, c]
        }
        return StridedCopy.contiguousStrides(value.shape)
    }

    /// Memory axis holding logical `axis` of a value.
    func physicalAxis(_ axis: Int, layout: TensorLayout) -> Int {
        layout == .nhwc ? [0, 3, 1, 2][axis] : axis
    }

    mutating func lowerTranspose(_ node: GraphNode) throws(InferenceError) {
        let input = try runtime(try first(node), node: node.name)
        let rank = input.shape.count
        let permutation = node.integers("perm") ?? Array((0..<rank).reversed())
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            throw .invalidAttribute(node: node.name, name: "perm", detail: "\(permutation) for rank \(rank)")
        }
        let source = logicalStrides(input)
        let shape = permutation.map { input.shape[$0] }
        let strides = permutation.map { source[$0] }
        // When the permuted view is already contiguous (e.g. NHWC data transposed to NHWC), alias it.
        let contiguous = StridedCopy.contiguousStrides(shape)
        if (0..<rank).allSatisfy({ shape[$0] == 1 || strides[$0] == contiguous[$0] }) {
            define(node.outputs[0], PlannedValue(storage: input.storage, shape: shape, layout: .nchw))
            return
        }
        let output = try newValue(shape, layout: .nchw, name: node.outputs[0])
        emit(StridedCopyStep(input: input.storage, output: output.storage,
                             copy: StridedCopy(shape: shape, strides: strides, offset: 0)), reads: [input.storage])
        define(node.outputs[0], output)
    }

    mutating func lowerConcat(_ node: GraphNode) throws(InferenceError) {
        let names = node.inputs.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw .shapeMismatch(node: node.name, detail: "Concat needs inputs") }
        var shapes: [[Int]] = []
        for name in names { shapes.append(try shape(of: name, node: node.name)) }
        let rank = shapes[0].count
        let axis = try self.axis(node.integer("axis", default: 1), rank: rank, node: node)
        for shape in shapes where shape.count != rank
            || (0..<rank).contains(where: { $0 != axis && shape[$0] != shapes[0][$0] }) {
            throw .shapeMismatch(node: node.name, detail: "cannot concatenate \(shapes) on axis \(axis)")
        }
        var outputShape = shapes[0]
        outputShape[axis] = shapes.map { $0[axis] }.reduce(0, +)
        let layout: TensorLayout = rank == 4 && names.contains(where: { values[$0]?.layout == .nhwc }) ? .nhwc : .nchw
        let output = try newValue(outputShape, layout: layout, name: node.outputs[0])
        let physicalAxis = physicalAxis(axis, layout: layout)
        let physicalOutput = output.physicalShape
        let outer = physicalOutput[..<physicalAxis].reduce(1, *)
        let destinationStride = physicalOutput[physicalAxis...].reduce(1, *)
        var offset = 0
        var pending: [(any ExecutionStep, Int)] = []
        for name in names {
            let input = try require(name, layout: layout, node: node.name)
            let chunk = input.physicalShape[physicalAxis...].reduce(1, *)
            pending.append((BlockCopyStep(source: input.storage, destination: output.storage, outer: outer, chunk: chunk,
                                          sourceOffset: 0, sourceStride: chunk, destinationOffset: offset,
                                          destinationStride: destinationStride), input.storage))
            offset += chunk
        }
        for (step, storage) in pending { emit(step, reads: [storage, output.storage]) }
        define(node.outputs[0], output)
    }

    mutating func lowerSplit(_ node: GraphNode) throws(InferenceError) {
        let source = try runtime(try first(node), node: node.name)
        let rank = source.shape.count
        let axis = try self.axis(node.integer("axis", default: 0), rank: rank, node: node)
        let outputs = node.outputs
        var sizes = try constantIntegers(node.input(1), node: node, what: "split") ?? node.integers("split") ?? []
        if sizes.isEmpty {
            let parts = node.integer("num_outputs", default: outputs.count)
            guard parts == outputs.count, parts > 0 else {
                throw .invalidAttribute(node: node.name, name: "num_outputs", detail: "\(parts) for \(outputs.count) outputs")
            }
            let each = (source.shape[axis] + parts - 1) / max(parts, 1)
            sizes = (0..<parts).map { min(each, max(0, source.shape[axis] - $0 * each)) }
        }
        // Each size is checked before the sum, which could otherwise overflow on sizes taken from the file.
        guard sizes.count == outputs.count, sizes.allSatisfy({ (0...source.shape[axis]).contains($0) }),
              sizes.reduce(0, +) == source.shape[axis] else {
            throw .invalidAttribute(node: node.name, name: "split", detail: "\(sizes) for axis size \(source.shape[axis])")
        }
        let layout = source.layout
        let physicalAxis = physicalAxis(axis, layout: layout)
        let physicalSource = source.physicalShape
        let outer = physicalSource[..<physicalAxis].reduce(1, *)
        let sourceStride = physicalSource[physicalAxis...].reduce(1, *)
        let inner = physicalSource[(physicalAxis + 1)...].reduce(1, *)
        var offset = 0
        for (index, name) in outputs.enumerated() {
            var shape = source.shape
            shape[axis] = sizes[index]
            let output = try newValue(shape, layout: layout, name: name)
            let chunk = sizes[index] * inner
            emit(BlockCopyStep(source: source.storage, destination: output.storage, outer: outer, chunk: chunk,
                               sourceOffset: offset, sourceStride: sourceStride, destinationOffset: 0,
                               destinationStride: chunk), reads: [source.storage])
            offset += chunk
            if !name.isEmpty { define(name, output) }
        }
    }

    mutating func lowerSlice(_ node: GraphNode) throws(InferenceError) {
        let input = try runtime(try first(node), node: node.name)
        let rank = input.shape.count
        let starts = try constantIntegers(node.input(1), node: node, what: "starts") ?? node.integers("starts") ?? []
        let ends = try constantIntegers(node.input(2), node: node, what: "ends") ?? node.integers("ends") ?? []
        let axes = try constantIntegers(node.input(3), node: node, what: "axes") ?? node.integers("axes") ?? Array(0..<starts.count)
        let stepsList = try constantIntegers(node.input(4), node: node, what: "steps") ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, stepsList.count == starts.count else {
            throw .invalidAttribute(node: node.name, name: "starts/ends/axes/steps", detail: "lengths differ")
        }
        var begin = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), shape = input.shape
        for (index, rawAxis) in axes.enumerated() {
            let axis = try self.axis(rawAxis, rank: rank, node: node)
            let size = input.shape[axis], stride = stepsList[index]
            guard stride != 0, stride.magnitude <= 1 << 40 else {
                throw .invalidAttribute(node: node.name, name: "steps", detail: "step \(stride)")
            }
            let bound = 1 << 40
            var start = max(-bound, min(bound, starts[index])), end = max(-bound, min(bound, ends[index]))
            start = start < 0 ? start + size : start
            end = end < 0 ? end + size : end
            if stride > 0 {
                start = max(0, min(size, start)); end = max(0, min(size, end))
                shape[axis] = end > start ? (end - start + stride - 1) / stride : 0
            } else {
                start = max(-1, min(size - 1, start)); end = max(-1, min(size - 1, end))
                shape[axis] = start > end ? (start - end + (-stride) - 1) / (-stride) : 0
            }
            begin[axis] = max(0, start)
            step[axis] = stride
        }
        let sourceStrides = logicalStrides(input)
        var offset = 0
        for axis in 0..<rank { offset += begin[axis] * sourceStrides[axis] }
        let output = try newValue(shape, layout: .nchw, name: node.outputs[0])
        if output.count > 0 {
            emit(StridedCopyStep(input: input.storage, output: output.storage,
                                 copy: StridedCopy(shape: shape, strides: (0..<rank).map { sourceStrides[$0] * step[$0] }, offset: offset)),
                 reads: [input.storage])
        }
        define(node.outputs[0], output)
    }

    /// Most output elements of a reflect or edge Pad, whose gather table holds one source offset per element (4 Mi:
    /// a 16 MiB table, built in well under a second; the shipped networks pad with constants only).
    static let maximumGatherElements = 1 << 22

    mutating func lowerPad(_ node: GraphNode) throws(InferenceError) {
        let input = try runtime(try first(node), node: node.name)
        let rank = input.shape.count
        guard let pads = try constantIntegers(node.input(1), node: node, what: "pads") ?? node.integers("pads"),
              pads.count == 2 * rank, pads.allSatisfy({ $0.magnitude <= 1 << 24 }) else {
            throw .invalidAttribute(node: node.name, name: "pads", detail: "needs \(2 * rank) constant values")
        }
        if node.input(3) != nil {
            throw .unsupportedOperator(operatorType: "Pad", node: node.name, detail: "axes input")
        }
        var fill = node.float("value", default: 0)
        if let name = node.input(2) {
            guard let constant = constants[name], constant.count == 1 else {
                throw .invalidAttribute(node: node.name, name: "constant_value", detail: "must be a scalar constant")
            }
            fill = constant.floats[0]
        }
        let mode = node.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw .unsupportedOperator(operatorType: "Pad", node: node.name, detail: "mode \(mode)")
        }
        var shape = input.shape
        for axis in 0..<rank {
            shape[axis] += pads[axis] + pads[axis + rank]
            guard shape[axis] >= 0 else { throw .shapeMismatch(node: node.name, detail: "negative padded size") }
            if mode == "reflect" && input.shape[axis] < 2 && (pads[axis] > 0 || pads[axis + rank] > 0) {
                throw .shapeMismatch(node: node.name, detail: "reflect padding of an axis of size \(input.shape[axis])")
            }
        }
        let output = try newValue(shape, layout: input.layout, name: node.outputs[0])
        let permutation = input.layout == .nhwc ? [0, 2, 3, 1] : Array(0..<rank)
        if mode == "constant" && rank > 0 && input.count > 0 {
            emit(PaddedCopyStep(input: input.storage, output: output.storage,
                                copy: paddedCopy(input: permutation.map { input.shape[$0] },
                                                 output: permutation.map { shape[$0] },
                                                 begin: permutation.map { pads[$0] }, fill: fill)),
                 reads: [input.storage])
            define(node.outputs[0], output)
            return
        }
        // Table over the output's physical order: each element's source offset, or -1 for the fill value.
        let physicalOutput = permutation.map { shape[$0] }
        let physicalInput = permutation.map { input.shape[$0] }
        let physicalBegin = permutation.map { pads[$0] }
        let inputStrides = StridedCopy.contiguousStrides(physicalInput)
        let total = output.count
        // The table is built element by element at load time: a hostile size must not stall the load for seconds.
        guard total <= Self.maximumGatherElements else {
            throw .tensorTooLarge(name: node.outputs[0], detail: "\(mode) Pad output of \(total) elements, over \(Self.maximumGatherElements)")
        }
        var table = [Int32](repeating: 0, count: total)
        var coordinate = [Int](repeating: 0, count: rank)
        for flat in 0..<total {
            var source = 0
            var inside = true
            for axis in 0..<rank {
                var position = coordinate[axis] - physicalBegin[axis]
                let size = physicalInput[axis]
                if position < 0 || position >= size {
                    switch mode {
                    case "edge": position = max(0, min(size - 1, position))
                    case "reflect":
                        let period = 2 * (size - 1)
                        position = ((position % period) + period) % period
                        if position >= size { position = period - position }
                    default: inside = false
                    }
                }
                source += position * inputStrides[axis]
            }
            table[flat] = inside ? Int32(source) : -1
            var axis = rank - 1
            while axis >= 0 {
                coordinate[axis] += 1
                if coordinate[axis] < physicalOutput[axis] { break }
                coordinate[axis] = 0
                axis -= 1
            }
        }
        emit(GatherStep(input: input.storage, output: output.storage, gather: GatherTable(table: table, fill: fill)),
             reads: [input.storage])
        define(node.outputs[0], output)
    }

    /// Destination offsets of every input run (last physical axis) of a constant Pad; runs whose
    /// row falls outside the output (negative pads) get -1.
    func paddedCopy(input: [Int], output: [Int], begin: [Int], fill: Float) -> PaddedCopy {
        let rank = input.count
        let outputStrides = StridedCopy.contiguousStrides(output)
        let last = rank - 1
        let skipFront = max(0, -begin[last])
        let copied = max(0, min(input[last] - skipFront, output[last] - max(0, begin[last])))
        let runs = input.dropLast().reduce(1, *)
        var offsets = [Int](repeating: -1, count: runs)
        var coordinate = [Int](repeating: 0, count: max(0, rank - 1))
        for run in 0..<runs {
            var offset = max(0, begin[last])
            var inside = copied > 0
            for axis in 0..<(rank - 1) {
                let position = coordinate[axis] + begin[axis]
                if position < 0 || position >= output[axis] { inside = false }
                offset += position * outputStrides[axis]
            }
            if inside { offsets[run] = offset }
            var axis = rank - 2
            while axis >= 0 {
                coordinate[axis] += 1
                if coordinate[axis] < input[axis] { break }
                coordinate[axis] = 0
                axis -= 1
            }
        }
        return PaddedCopy(fill: fill, outputCount: output.reduce(1, *), runLength: copied, destinationOffsets: offsets,
                          sourceSkip: skipFront, sourceSkipTotal: input[last] - copied)
    }

    mutating func lowerResize(_ node: GraphNode) throws(InferenceError) {
        let inputName = try first(node)
        let inputShape = try shape(of: inputName, node: node.name)
        guard inputShape.count == 4 else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "only 4-D input")
        }
        var scales: [Float]?
        var sizes: [Int]?
        if node.operatorType == "Upsample" {
            scales = try node.input(1).map { name throws(InferenceError) in
                guard let constant = constants[name] else {
                    throw .unsupportedOperator(operatorType: "Upsample", node: node.name, detail: "scales must be constant")
                }
                return constant.floats
            } ?? { if case .floats(let values)? = node.attributes["scales"] { return values } else { return nil } }()
        } else {
            let scaleName = node.inputs.count > 2 ? node.input(2) : (node.inputs.count == 2 ? node.input(1) : nil)
            if let name = scaleName, let constant = constants[name], constant.count > 0 { scales = constant.floats }
            else if let name = scaleName, constants[name] == nil {
                throw .unsupportedOperator(operatorType: "Resize", node: node.name, detail: "scales must be constant")
            }
            if let name = node.input(3) {
                guard let constant = constants[name] else {
                    throw .unsupportedOperator(operatorType: "Resize", node: node.name, detail: "sizes must be constant")
                }
                if constant.count > 0 { sizes = constant.integerValues }
            }
        }
        if node.attributes["axes"] != nil {
            throw .unsupportedOperator(operatorType: "Resize", node: node.name, detail: "axes attribute")
        }
        var outputShape: [Int]
        if let sizes {
            guard sizes.count == 4, sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }), inputShape.allSatisfy({ $0 > 0 }) else {
                throw .invalidAttribute(node: node.name, name: "sizes", detail: "\(sizes) for input \(inputShape)")
            }
            outputShape = sizes
            scales = (0..<4).map { Float(sizes[$0]) / Float(inputShape[$0]) }
        } else if let given = scales, given.count == 4, given.allSatisfy({ $0 > 0 && $0 < 65536 }) {
            outputShape = (0..<4).map { Int((Float(inputShape[$0]) * given[$0]).rounded(.down)) }
        } else {
            throw .invalidAttribute(node: node.name, name: "scales", detail: "needs 4 positive scales or sizes")
        }
        guard outputShape[0] == inputShape[0], outputShape[1] == inputShape[1], outputShape[2] > 0, outputShape[3] > 0 else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "resizing batch or channels")
        }
        _ = try checkedElementCount(outputShape, name: node.outputs[0])
        let mode = node.string("mode", default: "nearest")
        guard mode == "nearest" || mode == "linear" || mode == "bilinear" else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "mode \(mode)")
        }
        let transform = node.operatorType == "Upsample" ? "asymmetric"
            : node.string("coordinate_transformation_mode", default: "half_pixel")
        let nearestMode = node.string("nearest_mode", default: node.operatorType == "Upsample" ? "floor" : "round_prefer_floor")
        let supportedTransforms = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"]
        guard supportedTransforms.contains(transform) else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "coordinate mode \(transform)")
        }
        func taps(input: Int, output: Int, scale: Float) -> [(Int, Int, Float)] {
            (0..<output).map { index -> (Int, Int, Float) in
                let x = Float(index)
                var original: Float
                switch transform {
                case "half_pixel": original = (x + 0.5) / scale - 0.5
                case "pytorch_half_pixel": original = output > 1 ? (x + 0.5) / scale - 0.5 : 0
                case "align_corners": original = output == 1 ? 0 : x * Float(input - 1) / Float(output - 1)
                case "tf_half_pixel_for_nn": original = (x + 0.5) / scale
                default: original = x / scale
                }
                if mode == "nearest" {
                    var rounded: Float
                    switch nearestMode {
                    case "floor": rounded = original.rounded(.down)
                    case "ceil": rounded = original.rounded(.up)
                    case "round_prefer_ceil": rounded = (original + 0.5).rounded(.down)
                    default: rounded = original - original.rounded(.down) == 0.5 ? original.rounded(.down) : original.rounded()
                    }
                    let position = max(0, min(input - 1, boundedInteger(rounded)))
                    return (position, position, 0)
                }
                let clamped = max(0, min(Float(input - 1), original))
                let low = boundedInteger(clamped.rounded(.down))
                let high = min(low + 1, input - 1)
                return (low, high, clamped - Float(low))
            }
        }
        let scaleY = scales![2], scaleX = scales![3]
        let tables = ResizeTables(rows: taps(input: inputShape[2], output: outputShape[2], scale: scaleY),
                                  columns: taps(input: inputShape[3], output: outputShape[3], scale: scaleX))
        let input = try require(inputName, layout: .nhwc, node: node.name)
        let output = try newValue(outputShape, layout: .nhwc, name: node.outputs[0])
        emit(ResizeStep(input: input.storage, output: output.storage, batch: inputShape[0], channels: inputShape[1],
                        inputHeight: inputShape[2], inputWidth: inputShape[3], outputHeight: outputShape[2],
                        outputWidth: outputShape[3], tables: tables), reads: [input.storage])
        define(node.outputs[0], output)
    }

    mutating func lowerSoftmax(_ node: GraphNode) throws(InferenceError) {
        let input = try require(try first(node), layout: .nchw, node: node.name)
        let rank = input.shape.count
        let legacy = graph.opsetVersion < 13
        let axis = try self.axis(node.integer("axis", default: legacy ? 1 : -1), rank: rank, node: node)
        let outer = input.shape[..<axis].reduce(1, *)
        let (length, inner) = legacy ? (input.shape[axis...].reduce(1, *), 1)
                                     : (input.shape[axis], input.shape[(axis + 1)...].reduce(1, *))
        let output = try newValue(input.shape, layout: .nchw, name: node.outputs[0])
        emit(SoftmaxStep(input: input.storage, output: output.storage, outer: outer, axis: length, inner: inner,
                         logarithm: node.operatorType == "LogSoftmax"), reads: [input.storage])
        define(node.outputs[0], output)
    }
}
