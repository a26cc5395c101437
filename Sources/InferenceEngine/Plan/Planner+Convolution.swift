import InferenceGraph
import Foundation

extension Planner {
    /// Spatial output size and begin/end padding for one axis, honouring auto_pad.
    func window(input: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int,
                autoPad: String, ceilMode: Bool, node: GraphNode) throws(InferenceError) -> (output: Int, begin: Int, end: Int) {
        let extent = dilation * (kernel - 1) + 1
        switch autoPad {
        case "SAME_UPPER", "SAME_LOWER":
            let output = (input + stride - 1) / stride
            let total = max(0, (output - 1) * stride + extent - input)
            let small = total / 2, large = total - small
            return autoPad == "SAME_UPPER" ? (output, small, large) : (output, large, small)
        case "VALID":
            guard input >= extent else { throw .shapeMismatch(node: node.name, detail: "window \(extent) larger than input \(input)") }
            return ((input - extent) / stride + 1, 0, 0)
        default:
            let padded = input + padBegin + padEnd - extent
            guard padded >= 0 else { throw .shapeMismatch(node: node.name, detail: "window \(extent) larger than padded input") }
            var output = (ceilMode ? (padded + stride - 1) / stride : padded / stride) + 1
            if ceilMode && (output - 1) * stride >= input + padBegin { output -= 1 }
            return (output, padBegin, padEnd)
        }
    }

    /// Window geometry of a Conv or pooling node over an NCHW-shaped input.
    func geometry(_ node: GraphNode, inputShape: [Int], kernel: [Int]) throws(InferenceError) -> (WindowGeometry, Int, Int) {
        guard inputShape.count == 4, kernel.count == 2 else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "only 2-D windows are supported")
        }
        let strides = node.integers("strides") ?? [1, 1]
        let dilations = node.integers("dilations") ?? [1, 1]
        let pads = node.integers("pads") ?? [0, 0, 0, 0]
        let limit = 1 << 20
        guard strides.count == 2, dilations.count == 2, pads.count == 4, strides.allSatisfy({ $0 > 0 && $0 <= limit }),
              dilations.allSatisfy({ $0 > 0 && $0 <= limit }), pads.allSatisfy({ $0 >= 0 && $0 <= limit }),
              kernel.allSatisfy({ $0 > 0 && $0 <= limit }) else {
            throw .invalidAttribute(node: node.name, name: "strides/dilations/pads", detail: "\(strides) \(dilations) \(pads)")
        }
        let autoPad = node.string("auto_pad", default: "NOTSET")
        let ceilMode = node.integer("ceil_mode", default: 0) != 0
        let y = try window(input: inputShape[2], kernel: kernel[0], stride: strides[0], dilation: dilations[0],
                           padBegin: pads[0], padEnd: pads[2], autoPad: autoPad, ceilMode: ceilMode, node: node)
        let x = try window(input: inputShape[3], kernel: kernel[1], stride: strides[1], dilation: dilations[1],
                           padBegin: pads[1], padEnd: pads[3], autoPad: autoPad, ceilMode: ceilMode, node: node)
        guard y.output > 0, x.output > 0 else { throw .shapeMismatch(node: node.name, detail: "empty output") }
        let geometry = WindowGeometry(inputHeight: inputShape[2], inputWidth: inputShape[3], outputHeight: y.output,
                                      outputWidth: x.output, kernelHeight: kernel[0], kernelWidth: kernel[1],
                                      strideY: strides[0], strideX: strides[1], dilationY: dilations[0],
                                      dilationX: dilations[1], padTop: y.begin, padLeft: x.begin)
        return (geometry, y.end, x.end)
    }

    /// Absorbs the nodes after a convolution or GEMM that can run in its epilogue: BatchNorm
    /// (folded into weights by the caller), a residual Add, then an activation.
    mutating func fuseEpilogue(after output: String, shape: [Int], layout: TensorLayout, allowBatchNorm: Bool)
        throws(InferenceError) -> (output: String, batchNorm: GraphNode?, residual: PlannedValue?, activation: Activation) {
        var current = output
        var batchNorm: GraphNode?
        var residual: PlannedValue?
        var activation = Activation.identity
        if allowBatchNorm, let next = soleReader(of: current) {
            let candidate = graph.nodes[next]
            if candidate.operatorType == "BatchNormalization", candidate.inputs.count >= 5, candidate.outputs.count == 1,
               candidate.inputs[0] == current, (1...4).allSatisfy({ constants[candidate.inputs[$0]]?.count == shape[1] }) {
                batchNorm = candidate
                skipped.insert(next)
                current = candidate.outputs[0]
            }
        }
        if let next = soleReader(of: current) {
            let candidate = graph.nodes[next]
            if candidate.operatorType == "Add", candidate.inputs.count == 2, candidate.inputs[0] != candidate.inputs[1] {
                let other = candidate.inputs[0] == current ? candidate.inputs[1] : candidate.inputs[0]
                if let value = values[other], value.shape == shape {
                    residual = try require(other, layout: layout, node: candidate.name)
                    skipped.insert(next)
                    current = candidate.outputs[0]
                }
            }
        }
        if let next = soleReader(of: current) {
            let candidate = graph.nodes[next]
            if candidate.inputs.first == current, let fused = self.activation(of: candidate) {
                activation = fused
                skipped.insert(next)
                current = candidate.outputs[0]
            }
        }
        return (current, batchNorm, residual, activation)
    }

    mutating func lowerConvolution(_ index: Int) throws(InferenceError) {
        let node = graph.nodes[index]
        guard let weightName = node.input(1), let weight = constants[weightName] else {
            throw .unsupportedOperator(operatorType: "Conv", node: node.name, detail: "weights must be a constant")
        }
        let inputShape = try shape(of: try first(node), node: node.name)
        guard inputShape.count == 4, weight.shape.count == 4 else {
            throw .unsupportedOperator(operatorType: "Conv", node: node.name, detail: "only 2-D convolution is supported")
        }
        let groups = node.integer("group", default: 1)
        let (batch, inputChannels) = (inputShape[0], inputShape[1])
        let outputChannels = weight.shape[0]
        guard groups > 0, inputChannels % groups == 0, outputChannels % groups == 0,
              weight.shape[1] == inputChannels / groups else {
            throw .shapeMismatch(node: node.name, detail: "input \(inputShape), weights \(weight.shape), group \(groups)")
        }
        let kernel = Array(weight.shape[2...])
        if let declared = node.integers("kernel_shape"), declared != kernel {
            throw .shapeMismatch(node: node.name, detail: "kernel_shape \(declared) but weights \(weight.shape)")
        }
        let (g, _, _) = try geometry(node, inputShape: inputShape, kernel: kernel)
        var bias = [Float](repeating: 0, count: outputChannels)
        if let biasName = node.input(2) {
            guard let constant = constants[biasName], constant.count == outputChannels else {
                throw .shapeMismatch(node: node.name, detail: "bias must be a constant of \(outputChannels) values")
            }
            bias = constant.floats
        }
        let outputShape = [batch, outputChannels, g.outputHeight, g.outputWidth]
        _ = try checkedElementCount(outputShape, name: node.outputs[0])
        let isDepthwise = groups == inputChannels && outputChannels == inputChannels
        let isDirect = !isDepthwise && groups == 1 && inputChannels <= 4 && outputChannels <= 64
        // A direct convolution reads either layout, so a network's NCHW image input needs no transposing copy.
        let input = isDirect ? try runtime(try first(node), node: node.name)
                             : try require(try first(node), layout: .nhwc, node: node.name)
        let fused = try fuseEpilogue(after: node.outputs[0], shape: outputShape, layout: .nhwc, allowBatchNorm: true)

        // Weights as [outputChannel][inputChannelInGroup][ky][kx], BatchNorm folded in.
        var weights = weight.floats
        if let batchNorm = fused.batchNorm {
            let scale = constants[batchNorm.inputs[1]]!.floats, shift = constants[batchNorm.inputs[2]]!.floats
            let mean = constants[batchNorm.inputs[3]]!.floats, variance = constants[batchNorm.inputs[4]]!.floats
            let epsilon = batchNorm.float("epsilon", default: 1e-5)
            let perOutput = weights.count / outputChannels
            for channel in 0..<outputChannels {
                let factor = scale[channel] / (variance[channel] + epsilon).squareRoot()
                for position in 0..<perOutput { weights[channel * perOutput + position] *= factor }
                bias[channel] = (bias[channel] - mean[channel]) * factor + shift[channel]
            }
        }
        let output = try newValue(outputShape, layout: .nhwc, name: fused.output)
        let reads = [input.storage] + (fused.residual.map { [$0.storage] } ?? [])
        let (kh, kw) = (kernel[0], kernel[1])
        let groupInput = inputChannels / groups, groupOutput = outputChannels / groups

        if isDepthwise {
            let padded = (inputChannels + 15) & ~15
            var packed = [Float](repeating: 0, count: kh * kw * padded)
            for channel in 0..<inputChannels {
                for position in 0..<(kh * kw) { packed[position * padded + channel] = weights[channel * kh * kw + position] }
            }
            emit(DepthwiseConvolutionStep(input: input.storage, output: output.storage, residual: fused.residual?.storage,
                                          batch: batch, channels: inputChannels, paddedChannels: padded, geometry: g,
                                          weights: WeightBuffer(packed), bias: WeightBuffer(bias + [Float](repeating: 0, count: padded - inputChannels)),
                                          activation: fused.activation), reads: reads)
        } else if isDirect {
            let padded = (outputChannels + 15) & ~15
            var packed = [Float](repeating: 0, count: kh * kw * inputChannels * padded)
            for outputChannel in 0..<outputChannels {
                for channel in 0..<inputChannels {
                    for position in 0..<(kh * kw) {
                        packed[(position * inputChannels + channel) * padded + outputChannel] =
                            weights[(outputChannel * inputChannels + channel) * kh * kw + position]
                    }
                }
            }
            let planar = input.layout == .nchw
            emit(DirectConvolutionStep(input: input.storage, output: output.storage, residual: fused.residual?.storage,
                                       batch: batch, inputChannels: inputChannels,
                                       inputPixelStride: planar ? 1 : inputChannels,
                                       inputChannelStride: planar ? g.inputHeight * g.inputWidth : 1,
                                       outputChannels: outputChannels,
                                       paddedOutput: padded, geometry: g, weights: WeightBuffer(packed),
                                       bias: WeightBuffer(bias + [Float](repeating: 0, count: padded - outputChannels)),
                                       activation: fused.activation), reads: reads)
        } else if kh == 1 && kw == 1 && groups == 1 && g.strideY == 1 && g.strideX == 1 && g.padTop == 0 && g.padLeft == 0
                    && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth {
            let packed = PackedMatrix(rows: inputChannels, columns: outputChannels) { row, column in
                weights[column * inputChannels + row]
            }
            emit(PackedGEMMStep(input: input.storage, output: output.storage, residual: fused.residual?.storage,
                                rows: batch * g.outputHeight * g.outputWidth, inputStride: inputChannels,
                                outputStride: outputChannels, packed: packed, weights: WeightBuffer(packed.panels),
                                bias: WeightBuffer(paddedBias(bias, groups: 1)), activation: fused.activation), reads: reads)
        } else if Self.winogradPays(kernel: kernel, groups: groups, geometry: g, inputChannels: inputChannels,
                                    outputChannels: outputChannels) {
            let positions = WinogradKernels.positions
            // U = G g Gᵀ for every output/input channel pair: transformed[(output · C + input) · 16 + position]
            var transformed = [Float](repeating: 0, count: outputChannels * inputChannels * positions)
            for pair in 0..<(outputChannels * inputChannels) {
                let kernel = (0..<9).map { Double(weights[pair * 9 + $0]) }
                for (position, value) in WinogradKernels.transformedKernel(kernel).enumerated() {
                    transformed[pair * positions + position] = Float(value)
                }
            }
            let packedPositions = (0..<positions).map { position in
                PackedMatrix(rows: inputChannels, columns: outputChannels) { row, column in
                    transformed[(column * inputChannels + row) * positions + position]
                }
            }
            let tilesY = (g.outputHeight + 1) / 2, tilesX = (g.outputWidth + 1) / 2
            // Bands of tile rows whose two scratch blocks stay within about 512 KiB (L2), at least one tile row.
            let floatsPerTile = positions * (inputChannels + outputChannels)
            let bandTileRows = max(1, min(tilesY, 131_072 / max(1, floatsPerTile * tilesX)))
            let bandTiles = bandTileRows * tilesX
            let transformedInput = try newStorage(positions * bandTiles * inputChannels, name: "\(node.name).winograd-input")
            let products = try newStorage(positions * bandTiles * outputChannels, name: "\(node.name).winograd-products")
            emit(WinogradConvolutionStep(input: input.storage, output: output.storage, residual: fused.residual?.storage,
                                         transformed: transformedInput, products: products, batch: batch,
                                         inputChannels: inputChannels, outputChannels: outputChannels, geometry: g,
                                         tilesY: tilesY, tilesX: tilesX, bandTileRows: bandTileRows, packed: packedPositions[0],
                                         weights: WeightBuffer(packedPositions.flatMap(\.panels)),
                                         zeroBias: WeightBuffer([Float](repeating: 0, count: PackedMatrix.roundedToPanel(outputChannels))),
                                         bias: WeightBuffer(bias), activation: fused.activation),
                 reads: reads + [transformedInput, products])
        } else {
            let k = kh * kw * groupInput
            var allPanels: [Float] = []
            var layoutOfGroup = PackedMatrix(rows: k, columns: groupOutput) { _, _ in 0 }
            for group in 0..<groups {
                layoutOfGroup = PackedMatrix(rows: k, columns: groupOutput) { row, column in
                    let position = row / groupInput, channel = row % groupInput
                    return weights[((group * groupOutput + column) * groupInput + channel) * kh * kw + position]
                }
                allPanels += layoutOfGroup.panels
            }
            // Bands of output rows whose im2col block is about 64 KiB, so it stays in L1 while the weights stream
            // past; but every band streams all the weights again, so a band holds at least 96 pixels (16 GEMM row
            // blocks per weight panel) while its block stays within 512 KiB. ResNet-18's 4×4×512 3×3 layers ran
            // one output row per band and read their 9 MiB of weights four times.
            let l1Rows = 16384 / max(1, g.outputWidth * k)
            let reuseRows = min((96 + g.outputWidth - 1) / g.outputWidth, 131_072 / max(1, g.outputWidth * k))
            let bandRows = max(1, min(g.outputHeight, max(l1Rows, reuseRows)))
            let scratchCount = bandRows * g.outputWidth * k
            let scratch = try newStorage(scratchCount, name: "\(node.name).im2col")
            emit(Im2colConvolutionStep(input: input.storage, output: output.storage, residual: fused.residual?.storage,
                                       scratch: scratch, batch: batch, inputChannels: inputChannels,
                                       outputChannels: outputChannels, groups: groups, geometry: g, packed: layoutOfGroup,
                                       weights: WeightBuffer(allPanels), groupWeightStride: layoutOfGroup.panels.count,
                                       bias: WeightBuffer(paddedBias(bias, groups: groups)),
                                       groupBiasStride: PackedMatrix.roundedToPanel(groupOutput), activation: fused.activation,
                                       bandRows: bandRows),
                 reads: reads + [scratch])
        }
        define(fused.output, output)
    }

    /// Whether a convolution runs as Winograd F(2×2, 3×3) (`WinogradConvolutionStep`): a dense stride-1 3×3 with
    /// enough channels that the GEMMs dominate the transforms, and enough 2×2 output tiles that the 16 products are
    /// not each a few rows streaming 16 copies of the weights.
    static func winogradPays(kernel: [Int], groups: Int, geometry g: WindowGeometry, inputChannels: Int,
                             outputChannels: Int) -> Bool {
        let tiles = (g.outputHeight + 1) / 2 * ((g.outputWidth + 1) / 2)
        return kernel == [3, 3] && groups == 1 && g.strideY == 1 && g.strideX == 1 && g.dilationY == 1 && g.dilationX == 1
            && inputChannels >= 16 && outputChannels >= 16 && tiles >= 16
    }

    /// Bias split per group, each group's share padded with zeros to a whole GEMM panel.
    func paddedBias(_ bias: [Float], groups: Int) -> [Float] {
        let perGroup = bias.count / groups, padded = PackedMatrix.roundedToPanel(perGroup)
        var result = [Float](repeating: 0, count: groups * padded)
        for group in 0..<groups {
            for index in 0..<perGroup { result[group * padded + index] = bias[group * perGroup + index] }
        }
        return result
    }

    /// Gemm, or MatMul: a packed GEMM when the right operand is a constant, otherwise a plain product.
    mutating func lowerMatrixProduct(_ index: Int) throws(InferenceError) {
        let node = graph.nodes[index]
        guard let leftName = node.input(0), let rightName = node.input(1) else {
            throw .shapeMismatch(node: node.name, detail: "\(node.operatorType) needs two inputs")
        }
        let isGemm = node.operatorType == "Gemm"
        let leftShape = try shape(of: leftName, node: node.name)
        let rightShape = try shape(of: rightName, node: node.name)
        let transposeA = isGemm && node.integer("transA", default: 0) != 0
        let transposeB = isGemm && node.integer("transB", default: 0) != 0
        let alpha = isGemm ? node.float("alpha", default: 1) : 1
        let beta = isGemm ? node.float("beta", default: 1) : 1
        guard leftShape.count >= 2, rightShape.count >= 2, !isGemm || (leftShape.count == 2 && rightShape.count == 2) else {
            throw .shapeMismatch(node: node.name, detail: "operands \(leftShape) and \(rightShape)")
        }
        if transposeA {
            throw .unsupportedOperator(operatorType: "Gemm", node: node.name, detail: "transA=1")
        }
        let m = leftShape[leftShape.count - 2], k = leftShape[leftShape.count - 1]
        guard k > 0 else { throw .shapeMismatch(node: node.name, detail: "empty inner dimension in \(leftShape)") }
        let rightK = transposeB ? rightShape[rightShape.count - 1] : rightShape[rightShape.count - 2]
        let n = transposeB ? rightShape[rightShape.count - 2] : rightShape[rightShape.count - 1]
        guard rightK == k else {
            throw .shapeMismatch(node: node.name, detail: "inner dimensions differ: \(leftShape) × \(rightShape)")
        }
        let left = try require(leftName, layout: .nchw, node: node.name)
        if let right = constants[rightName], rightShape.count == 2 {
            let outputShape = Array(leftShape.dropLast()) + [n]
            var bias = [Float](repeating: 0, count: n)
            var residualName: String?
            if isGemm, let biasName = node.input(2) {
                if let constant = constants[biasName], constant.count == n || constant.count == 1 {
                    bias = constant.count == 1 ? [Float](repeating: constant.floats[0] * beta, count: n) : constant.floats.map { $0 * beta }
                } else {
                    let biasShape = try shape(of: biasName, node: node.name)
                    guard biasShape == outputShape, beta == 1 else {
                        throw .unsupportedOperator(operatorType: "Gemm", node: node.name, detail: "bias of shape \(biasShape)")
                    }
                    residualName = biasName
                }
            }
            let fused = try fuseEpilogue(after: node.outputs[0], shape: outputShape, layout: .nchw, allowBatchNorm: false)
            var residual = fused.residual
            if let residualName {
                guard residual == nil else {
                    throw .unsupportedOperator(operatorType: "Gemm", node: node.name, detail: "matrix bias and residual Add")
                }
                residual = try require(residualName, layout: .nchw, node: node.name)
            }
            let values = right.floats
            let packed = PackedMatrix(rows: k, columns: n) { row, column in
                alpha * (transposeB ? values[column * k + row] : values[row * n + column])
            }
            let output = try newValue(outputShape, layout: .nchw, name: fused.output)
            emit(PackedGEMMStep(input: left.storage, output: output.storage, residual: residual?.storage,
                                rows: left.count / k, inputStride: k, outputStride: n, packed: packed,
                                weights: WeightBuffer(packed.panels), bias: WeightBuffer(paddedBias(bias, groups: 1)),
                                activation: fused.activation),
                 reads: [left.storage] + (residual.map { [$0.storage] } ?? []))
            define(fused.output, output)
            return
        }
        guard !isGemm || (alpha == 1 && !transposeB && node.input(2) == nil) else {
            throw .unsupportedOperator(operatorType: "Gemm", node: node.name, detail: "run-time B with alpha, transB or C")
        }
        let right = try require(rightName, layout: .nchw, node: node.name)
        let leftBatch = leftShape.dropLast(2).reduce(1, *)
        let rightBatch = rightShape.dropLast(2).reduce(1, *)
        guard rightBatch == 1 || Array(rightShape.dropLast(2)) == Array(leftShape.dropLast(2)) else {
            throw .unsupportedOperator(operatorType: "MatMul", node: node.name, detail: "batch broadcast \(leftShape) × \(rightShape)")
        }
        let outputShape = Array(leftShape.dropLast(2)) + [m, n]
        let output = try newValue(outputShape, layout: .nchw, name: node.outputs[0])
        emit(MatMulStep(left: left.storage, right: right.storage, output: output.storage, batch: leftBatch, m: m, k: k, n: n,
                        rightBatchStride: rightBatch == 1 ? 0 : k * n),
             reads: [left.storage, right.storage])
        define(node.outputs[0], output)
    }

    /// BatchNormalization not preceded by a convolution: a per-channel multiply and add.
    mutating func lowerBatchNormalization(_ node: GraphNode) throws(InferenceError) {
        let inputName = try first(node)
        let inputShape = try shape(of: inputName, node: node.name)
        guard inputShape.count >= 2, node.inputs.count >= 5,
              let scale = constants[node.inputs[1]], let shift = constants[node.inputs[2]],
              let mean = constants[node.inputs[3]], let variance = constants[node.inputs[4]],
              [scale, shift, mean, variance].allSatisfy({ $0.count == inputShape[1] }) else {
            throw .unsupportedOperator(operatorType: "BatchNormalization", node: node.name,
                                       detail: "needs constant per-channel parameters")
        }
        let epsilon = node.float("epsilon", default: 1e-5)
        let channels = inputShape[1]
        var factor = [Float](repeating: 0, count: channels), offset = factor
        for channel in 0..<channels {
            factor[channel] = scale.floats[channel] / (variance.floats[channel] + epsilon).squareRoot()
            offset[channel] = shift.floats[channel] - mean.floats[channel] * factor[channel]
        }
        let parameterShape = [channels] + [Int](repeating: 1, count: inputShape.count - 2)
        let factorName = "\(node.name).factor", offsetName = "\(node.name).offset", scaledName = "\(node.name).scaled"
        constants[factorName] = ConstantTensor(shape: parameterShape, floats: factor)
        constants[offsetName] = ConstantTensor(shape: parameterShape, floats: offset)
        try lowerBinary(GraphNode(name: node.name, operatorType: "Mul", inputs: [inputName, factorName], outputs: [scaledName], attributes: [:]))
        try lowerBinary(GraphNode(name: node.name, operatorType: "Add", inputs: [scaledName, offsetName], outputs: [node.outputs[0]], attributes: [:]))
    }

    mutating func lowerPooling(_ node: GraphNode) throws(InferenceError) {
        let inputShape = try shape(of: try first(node), node: node.name)
        guard let kernel = node.integers("kernel_shape") else {
            throw .invalidAttribute(node: node.name, name: "kernel_shape", detail: "missing")
        }
        if node.outputs.count > 1 && !node.outputs[1].isEmpty {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "indices output")
        }
        let (g, padBottom, padRight) = try geometry(node, inputShape: inputShape, kernel: kernel)
        guard g.dilationX == 1 && g.dilationY == 1 else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "dilated pooling")
        }
        let input = try require(try first(node), layout: .nhwc, node: node.name)
        let output = try newValue([inputShape[0], inputShape[1], g.outputHeight, g.outputWidth], layout: .nhwc, name: node.outputs[0])
        emit(PoolingStep(input: input.storage, output: output.storage, batch: inputShape[0], channels: inputShape[1],
                         geometry: g, padBottom: padBottom, padRight: padRight, isMax: node.operatorType == "MaxPool",
                         countIncludePad: node.integer("count_include_pad", default: 0) != 0), reads: [input.storage])
        define(node.outputs[0], output)
    }

    mutating func lowerGlobalPooling(_ node: GraphNode) throws(InferenceError) {
        let inputShape = try shape(of: try first(node), node: node.name)
        guard inputShape.count == 4 else {
            throw .unsupportedOperator(operatorType: node.operatorType, node: node.name, detail: "only 4-D input")
        }
        let input = try require(try first(node), layout: .nhwc, node: node.name)
        let output = try newValue([inputShape[0], inputShape[1], 1, 1], layout: .nhwc, name: node.outputs[0])
        if node.operatorType == "GlobalMaxPool" {
            let g = WindowGeometry(inputHeight: inputShape[2], inputWidth: inputShape[3], outputHeight: 1, outputWidth: 1,
                                   kernelHeight: inputShape[2], kernelWidth: inputShape[3], strideY: 1, strideX: 1,
                                   dilationY: 1, dilationX: 1, padTop: 0, padLeft: 0)
            emit(PoolingStep(input: input.storage, output: output.storage, batch: inputShape[0], channels: inputShape[1],
                             geometry: g, padBottom: 0, padRight: 0, isMax: true, countIncludePad: false), reads: [input.storage])
        } else {
            emit(GlobalAveragePoolStep(input: input.storage, output: output.storage, batch: inputShape[0],
                                       pixels: inputShape[2] * inputShape[3], channels: inputShape[1]), reads: [input.storage])
        }
        define(node.outputs[0], output)
    }
}
