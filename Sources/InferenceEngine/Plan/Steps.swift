import InferenceGraph

/// What a step sees at run time: one base pointer per storage slot of the session's arena, and the session's
/// worker threads (nil: one thread).
struct ExecutionContext {
    let buffers: UnsafePointer<UnsafeMutablePointer<Float>>
    let workers: WorkerPool?

    @inline(__always) subscript(_ storage: Int) -> UnsafeMutablePointer<Float> { buffers[storage] }
}

/// One operation of an execution plan. Steps are immutable and shared by all sessions of a model;
/// they address memory only through storage indices, so the same plan runs on any session's arena.
protocol ExecutionStep: Sendable {
    func execute(_ context: ExecutionContext)
}

/// Splits `count` rows over the session's threads when there is enough work (`work`: multiply-accumulates or
/// elements touched) to pay for the split: about 2 µs with the pool's spinning workers.
@inline(__always)
func forEachRowRange(_ count: Int, workers: WorkerPool?, work: Int, _ body: (Range<Int>) -> Void) {
    if let workers, count >= workers.threads && work >= 1 << 16 {
        splitRows(0..<count, over: workers, body)
    } else {
        body(0..<count)
    }
}

/// Runs `body` on consecutive, nearly equal parts of `rows`, one per thread of `workers` (the caller's included).
@inline(__always)
func splitRows(_ rows: Range<Int>, over workers: WorkerPool, _ body: (Range<Int>) -> Void) {
    let threads = workers.threads, perThread = (rows.count + threads - 1) / threads
    workers.perform(parts: threads) { part in
        let first = rows.lowerBound + part * perThread, last = min(rows.upperBound, first + perThread)
        if first < last { body(first..<last) }
    }
}

/// A 1×1 stride-1 convolution, or a Gemm/MatMul with constant weights: one packed GEMM.
struct PackedGEMMStep: ExecutionStep {
    let input: Int, output: Int, residual: Int?
    let rows: Int, inputStride: Int, outputStride: Int
    let packed: PackedMatrix
    let weights: WeightBuffer
    let bias: WeightBuffer
    let activation: Activation

    func execute(_ context: ExecutionContext) { multiply(pixels: 0..<rows, context, workers: context.workers) }

    /// The product for the rows (pixels) `pixels` alone; `ExpansionThenDepthwiseStep` runs it band by band.
    func multiply(pixels: Range<Int>, _ context: ExecutionContext, workers: WorkerPool?) {
        let offset = pixels.lowerBound * outputStride
        let epilogue = GEMMEpilogue(bias: bias.pointer, residual: residual.map { UnsafePointer(context[$0] + offset) },
                                    residualStride: outputStride, activation: activation)
        GEMM.multiply(rows: pixels.count, a: context[input] + pixels.lowerBound * inputStride, lda: inputStride,
                      b: weights.pointer, packed: packed, c: context[output] + offset, ldc: outputStride,
                      epilogue: epilogue, workers: workers)
    }
}

/// A general (grouped, strided, padded, any kernel size) convolution: im2col into a scratch
/// slot, then the packed GEMM per group.
struct Im2colConvolutionStep: ExecutionStep {
    let input: Int, output: Int, residual: Int?, scratch: Int
    let batch: Int, inputChannels: Int, outputChannels: Int, groups: Int
    let geometry: WindowGeometry
    /// The packing of one group; `weights` holds all groups, `groupWeightStride` floats apart.
    let packed: PackedMatrix
    let weights: WeightBuffer
    let groupWeightStride: Int
    /// Bias per group, each padded to a whole GEMM panel.
    let bias: WeightBuffer
    let groupBiasStride: Int
    let activation: Activation
    /// Output rows per im2col band (the scratch slot holds one band).
    let bandRows: Int

    func execute(_ context: ExecutionContext) {
        let inputImage = geometry.inputHeight * geometry.inputWidth * inputChannels
        let pixels = geometry.outputHeight * geometry.outputWidth
        let outputImage = pixels * outputChannels
        let groupInput = inputChannels / groups, groupOutput = outputChannels / groups
        for image in 0..<batch {
            for group in 0..<groups {
                // A band of output rows at a time keeps the im2col block cache-resident.
                var firstRow = 0
                while firstRow < geometry.outputHeight {
                    let rows = firstRow..<min(geometry.outputHeight, firstRow + bandRows)
                    // Each part copies and multiplies its own output rows of the band.
                    func band(_ rows: Range<Int>, workers: WorkerPool?) {
                        let scratchRows = context[scratch] + (rows.lowerBound - firstRow) * geometry.outputWidth * packed.rows
                        ConvolutionKernels.im2col(input: context[input] + image * inputImage, channelStride: inputChannels,
                                                  firstChannel: group * groupInput, channels: groupInput, geometry: geometry,
                                                  outputRows: rows, output: scratchRows)
                        let offset = image * outputImage + rows.lowerBound * geometry.outputWidth * outputChannels
                            + group * groupOutput
                        let epilogue = GEMMEpilogue(bias: bias.pointer + group * groupBiasStride,
                                                    residual: residual.map { UnsafePointer(context[$0] + offset) },
                                                    residualStride: outputChannels, activation: activation)
                        GEMM.multiply(rows: rows.count * geometry.outputWidth, a: scratchRows, lda: packed.rows,
                                      b: weights.pointer + group * groupWeightStride, packed: packed,
                                      c: context[output] + offset, ldc: outputChannels, epilogue: epilogue, workers: workers)
                    }
                    // With enough pixels for eight row blocks per thread, every thread takes whole rows, im2col
                    // included; otherwise one thread copies and the GEMM splits (by panels when rows are few). The
                    // copy alone held ResNet-18's 28×28×64 layers to 1.4× on two threads.
                    if let workers = context.workers, rows.count >= workers.threads,
                       rows.count * geometry.outputWidth >= workers.threads * 8 * GEMM.blockRows {
                        splitRows(rows, over: workers) { part in band(part, workers: nil) }
                    } else {
                        band(rows, workers: context.workers)
                    }
                    firstRow += bandRows
                }
            }
        }
    }
}

/// A stride-1 3×3 convolution by Winograd's F(2×2, 3×3) (`WinogradKernels`): for each band of tile rows, the input
/// transform into one scratch slot, 16 packed GEMMs (one per transform position) into another, and the output
/// transform with bias, residual and activation. 2.25× fewer multiplies than im2col's GEMM.
struct WinogradConvolutionStep: ExecutionStep {
    let input: Int, output: Int, residual: Int?
    /// Scratch slots: the transformed inputs [16][band tiles][inputChannels] and the products
    /// [16][band tiles][outputChannels].
    let transformed: Int, products: Int
    let batch: Int, inputChannels: Int, outputChannels: Int
    let geometry: WindowGeometry
    /// Tiles (2×2 output blocks) down and across the output.
    let tilesY: Int, tilesX: Int
    /// Tile rows per band (the scratch slots hold one band).
    let bandTileRows: Int
    /// The packing of one position's transformed weights [inputChannels × outputChannels]; `weights` holds all 16,
    /// one packing's size apart.
    let packed: PackedMatrix
    let weights: WeightBuffer
    /// The GEMMs' bias: zeros, a whole panel wide (the real bias is added after the output transform).
    let zeroBias: WeightBuffer
    let bias: WeightBuffer
    let activation: Activation

    func execute(_ context: ExecutionContext) {
        let inputImage = geometry.inputHeight * geometry.inputWidth * inputChannels
        let outputImage = geometry.outputHeight * geometry.outputWidth * outputChannels
        let noEpilogue = GEMMEpilogue(bias: zeroBias.pointer, residual: nil, residualStride: 0, activation: .identity)
        for image in 0..<batch {
            let source = context[input] + image * inputImage, destination = context[output] + image * outputImage
            let residualImage = residual.map { UnsafePointer(context[$0] + image * outputImage) }
            var firstTileRow = 0
            while firstTileRow < tilesY {
                let rows = firstTileRow..<min(tilesY, firstTileRow + bandTileRows)
                let tiles = rows.count * tilesX
                let inputStride = tiles * inputChannels, productStride = tiles * outputChannels
                let work = tiles * (inputChannels + outputChannels) * WinogradKernels.positions
                forEachRowRange(rows.count, workers: context.workers, work: work) { part in
                    WinogradKernels.transformInput(input: source, channels: inputChannels, geometry: geometry, tilesX: tilesX,
                                                   tileRows: part.lowerBound + rows.lowerBound..<part.upperBound + rows.lowerBound,
                                                   firstTileRow: rows.lowerBound, transformed: context[transformed],
                                                   positionStride: inputStride)
                }
                func multiply(_ positions: Range<Int>) {
                    for position in positions {
                        GEMM.multiply(rows: tiles, a: context[transformed] + position * inputStride, lda: inputChannels,
                                      b: weights.pointer + position * packed.panels.count, packed: packed,
                                      c: context[products] + position * productStride, ldc: outputChannels,
                                      epilogue: noEpilogue, workers: nil)
                    }
                }
                // The 16 products are independent: each thread takes whole ones.
                if let workers = context.workers, tiles * inputChannels * outputChannels >= 1 << 14 {
                    splitRows(0..<WinogradKernels.positions, over: workers, multiply)
                } else {
                    multiply(0..<WinogradKernels.positions)
                }
                forEachRowRange(rows.count, workers: context.workers, work: work) { part in
                    WinogradKernels.transformOutput(products: context[products], positionStride: productStride,
                                                    channels: outputChannels, geometry: geometry, tilesX: tilesX,
                                                    tileRows: part.lowerBound + rows.lowerBound..<part.upperBound + rows.lowerBound,
                                                    firstTileRow: rows.lowerBound, bias: bias.pointer, residual: residualImage,
                                                    activation: activation, output: destination)
                }
                firstTileRow += bandTileRows
            }
        }
    }
}

/// Convolution with few input channels (network stems), computed directly.
struct DirectConvolutionStep: ExecutionStep {
    let input: Int, output: Int, residual: Int?
    let batch: Int, inputChannels: Int
    /// Floats between horizontally adjacent input pixels and between input channels: (C, 1) for
    /// NHWC input, (1, H·W) for NCHW.
    let inputPixelStride: Int, inputChannelStride: Int
    let outputChannels: Int, paddedOutput: Int
    let geometry: WindowGeometry
    let weights: WeightBuffer
    let bias: WeightBuffer
    let activation: Activation

    func execute(_ context: ExecutionContext) {
        let inputImage = geometry.inputHeight * geometry.inputWidth * inputChannels
        let outputRow = geometry.outputWidth * outputChannels
        let outputImage = geometry.outputHeight * outputRow
        for image in 0..<batch {
            let source = UnsafePointer(context[input] + image * inputImage)
            let destination = context[output] + image * outputImage
            let residualPointer = residual.map { UnsafePointer(context[$0] + image * outputImage) }
            let work = outputImage * geometry.kernelHeight * geometry.kernelWidth * inputChannels
            forEachRowRange(geometry.outputHeight, workers: context.workers, work: work) { rows in
                for oy in rows {
                    DirectConvolutionKernel.row(oy, input: source, output: destination, inputChannels: inputChannels,
                                                pixelStride: inputPixelStride, channelStride: inputChannelStride,
                                                outputChannels: outputChannels, paddedOutput: paddedOutput, geometry: geometry,
                                                weights: weights.pointer, bias: bias.pointer)
                    finishResults(destination + oy * outputRow, count: outputRow, bias: nil,
                                  residual: residualPointer.map { $0 + oy * outputRow }, activation: activation)
                }
            }
        }
    }
}

/// Depthwise convolution (one filter per channel).
struct DepthwiseConvolutionStep: ExecutionStep {
    let input: Int, output: Int, residual: Int?
    let batch: Int, channels: Int, paddedChannels: Int
    let geometry: WindowGeometry
    let weights: WeightBuffer
    let bias: WeightBuffer
    let activation: Activation

    func execute(_ context: ExecutionContext) {
        let inputImage = geometry.inputHeight * geometry.inputWidth * channels
        let outputImage = geometry.outputHeight * geometry.outputWidth * channels
        for image in 0..<batch {
            let source = UnsafePointer(context[input] + image * inputImage)
            let destination = context[output] + image * outputImage
            let residualPointer = residual.map { UnsafePointer(context[$0] + image * outputImage) }
            let work = outputImage * geometry.kernelHeight * geometry.kernelWidth
            forEachRowRange(geometry.outputHeight, workers: context.workers, work: work) { rows in
                ConvolutionKernels.depthwise(input: source, output: destination, channels: channels, geometry: geometry,
                                             weights: weights.pointer, paddedChannels: paddedChannels, bias: bias.pointer,
                                             residual: residualPointer, activation: activation, rows: rows)
            }
        }
    }
}

/// An inverted residual block's 1×1 expansion and the depthwise convolution that alone reads its output, run band by
/// band: each band of depthwise output rows first has the expansion produce the input rows it needs that are not yet
/// there, then convolves them while they are still in L2. Run apart, the expansion wrote maps of 1–5 MB (MobileNetV2's
/// 112×112×96 and 56×56×144) that the depthwise step then read back from beyond L2. With several threads each runs
/// the bands of its own share of the output rows on its own core.
struct ExpansionThenDepthwiseStep: ExecutionStep {
    let expansion: PackedGEMMStep
    let depthwise: DepthwiseConvolutionStep
    /// Depthwise output rows per band: about `bandBytes` of new expanded rows each.
    let bandRows: Int
    /// The expanded map's size.
    var expandedBytes: Int { expansion.rows * expansion.outputStride * MemoryLayout<Float>.size }

    /// New expanded rows per band, well inside L2 (1 MB a core on Zen 4, 2 MB on the AMX-capable Xeon the figures
    /// here come from) with the window rows read again and the weights; bands of 64 KB and 512 KB took as long on
    /// MobileNetV2 (within 3 %).
    static let bandBytes = 192 * 1024

    /// Nil unless `depthwise` convolves exactly the map `expansion` writes: one image, NHWC with no row padding, and
    /// no residual added to the expansion.
    init?(expansion: PackedGEMMStep, depthwise: DepthwiseConvolutionStep) {
        let g = depthwise.geometry
        guard depthwise.input == expansion.output, expansion.residual == nil, depthwise.batch == 1,
              expansion.rows == g.inputHeight * g.inputWidth, expansion.outputStride == depthwise.channels,
              expansion.packed.columns == depthwise.channels
        else { return nil }
        self.expansion = expansion
        self.depthwise = depthwise
        let bytesPerOutputRow = g.strideY * g.inputWidth * depthwise.channels * MemoryLayout<Float>.size
        bandRows = max(1, Self.bandBytes / bytesPerOutputRow)
    }

    func execute(_ context: ExecutionContext) {
        let g = depthwise.geometry
        guard let workers = context.workers, g.outputHeight >= workers.threads else {
            bands(outputRows: 0..<g.outputHeight, expanding: 0..<g.inputHeight, context)
            return
        }
        // Each thread takes consecutive output rows and runs their bands on its own core. Input rows that two
        // neighbouring threads both read are expanded first, by the later thread, so that no row is written twice;
        // shares shorter than the window would make two such groups overlap, and then the steps run apart.
        let threads = workers.threads, perThread = (g.outputHeight + threads - 1) / threads
        guard perThread * g.strideY >= (g.kernelHeight - 1) * g.dilationY + 1 else {
            expansion.execute(context)
            depthwise.execute(context)
            return
        }
        func outputRows(_ part: Int) -> Range<Int> {
            min(g.outputHeight, part * perThread)..<min(g.outputHeight, (part + 1) * perThread)
        }
        func firstInputRow(_ part: Int) -> Int {
            part == 0 ? 0 : min(g.inputHeight, max(0, outputRows(part).lowerBound * g.strideY - g.padTop))
        }
        func endInputRow(_ part: Int) -> Int {
            part == threads - 1 ? g.inputHeight : inputRowsNeeded(through: outputRows(part).upperBound - 1)
        }
        workers.perform(parts: threads) { part in
            guard part > 0 else { return }
            let shared = firstInputRow(part)..<max(firstInputRow(part), endInputRow(part - 1))
            if !shared.isEmpty {
                expansion.multiply(pixels: shared.lowerBound * g.inputWidth..<shared.upperBound * g.inputWidth, context,
                                   workers: nil)
            }
        }
        workers.perform(parts: threads) { part in
            let rows = outputRows(part)
            guard !rows.isEmpty else { return }
            let own = max(firstInputRow(part), part == 0 ? 0 : endInputRow(part - 1))
            let next = part == threads - 1 ? g.inputHeight : firstInputRow(part + 1)
            bands(outputRows: rows, expanding: own..<max(own, next), context)
        }
    }

    /// The last input row, plus one, that depthwise output row `row` reads.
    private func inputRowsNeeded(through row: Int) -> Int {
        let g = depthwise.geometry
        return min(g.inputHeight, max(0, row * g.strideY - g.padTop + (g.kernelHeight - 1) * g.dilationY + 1))
    }

    /// Convolves `outputRows` band by band, expanding before each band the input rows of `expanding` it reads and
    /// that are not yet there (rows outside `expanding` are some other thread's, already expanded).
    private func bands(outputRows: Range<Int>, expanding: Range<Int>, _ context: ExecutionContext) {
        let g = depthwise.geometry
        let source = UnsafePointer(context[depthwise.input])
        let residual = depthwise.residual.map { UnsafePointer(context[$0]) }
        var expandedRows = expanding.lowerBound
        var firstRow = outputRows.lowerBound
        while firstRow < outputRows.upperBound {
            let rows = firstRow..<min(outputRows.upperBound, firstRow + bandRows)
            let neededRows = min(expanding.upperBound, inputRowsNeeded(through: rows.upperBound - 1))
            if neededRows > expandedRows {
                expansion.multiply(pixels: expandedRows * g.inputWidth..<neededRows * g.inputWidth, context, workers: nil)
                expandedRows = neededRows
            }
            ConvolutionKernels.depthwise(input: source, output: context[depthwise.output], channels: depthwise.channels,
                                         geometry: g, weights: depthwise.weights.pointer,
                                         paddedChannels: depthwise.paddedChannels, bias: depthwise.bias.pointer,
                                         residual: residual, activation: depthwise.activation, rows: rows)
            firstRow = rows.upperBound
        }
    }
}

/// MaxPool / AveragePool over NHWC.
struct PoolingStep: ExecutionStep {
    let input: Int, output: Int
    let batch: Int, channels: Int
    let geometry: WindowGeometry
    let padBottom: Int, padRight: Int
    let isMax: Bool, countIncludePad: Bool

    func execute(_ context: ExecutionContext) {
        let inputImage = geometry.inputHeight * geometry.inputWidth * channels
        let outputImage = geometry.outputHeight * geometry.outputWidth * channels
        for image in 0..<batch {
            PoolingKernels.pool(input: context[input] + image * inputImage, output: context[output] + image * outputImage,
                                channels: channels, geometry: geometry, padBottom: padBottom, padRight: padRight,
                                isMax: isMax, countIncludePad: countIncludePad)
        }
    }
}

/// GlobalAveragePool over NHWC; the result [N,1,1,C] is also valid plain [N,C,1,1].
struct GlobalAveragePoolStep: ExecutionStep {
    let input: Int, output: Int
    let batch: Int, pixels: Int, channels: Int

    func execute(_ context: ExecutionContext) {
        for image in 0..<batch {
            PoolingKernels.globalAverage(input: context[input] + image * pixels * channels,
                                         output: context[output] + image * channels, pixels: pixels, channels: channels)
        }
    }
}

/// A broadcast binary operator.
struct BinaryStep: ExecutionStep {
    let left: Int, right: Int, output: Int
    let op: BinaryOperator
    let plan: BroadcastPlan

    func execute(_ context: ExecutionContext) {
        plan.run(op, left: context[left], right: context[right], output: context[output])
    }
}

/// A standalone activation.
struct ActivationStep: ExecutionStep {
    let input: Int, output: Int, count: Int
    let activation: Activation

    func execute(_ context: ExecutionContext) {
        context[output].update(from: context[input], count: count)
        activation.apply(context[output], count: count)
    }
}

/// Transpose, Slice or a layout conversion.
struct StridedCopyStep: ExecutionStep {
    let input: Int, output: Int
    let copy: StridedCopy

    func execute(_ context: ExecutionContext) { copy.run(input: context[input], output: context[output]) }
}

/// Pad.
struct GatherStep: ExecutionStep {
    let input: Int, output: Int
    let gather: GatherTable

    func execute(_ context: ExecutionContext) { gather.run(input: context[input], output: context[output]) }
}

/// Constant-mode Pad.
struct PaddedCopyStep: ExecutionStep {
    let input: Int, output: Int
    let copy: PaddedCopy

    func execute(_ context: ExecutionContext) { copy.run(input: context[input], output: context[output]) }
}

/// One input's share of a Concat, or one output's share of a Split.
struct BlockCopyStep: ExecutionStep {
    let source: Int, destination: Int
    let outer: Int, chunk: Int
    let sourceOffset: Int, sourceStride: Int
    let destinationOffset: Int, destinationStride: Int

    func execute(_ context: ExecutionContext) {
        BlockCopy.copy(outer: outer, chunk: chunk, source: context[source] + sourceOffset, sourceStride: sourceStride,
                       destination: context[destination] + destinationOffset, destinationStride: destinationStride)
    }
}

/// Softmax / LogSoftmax.
struct SoftmaxStep: ExecutionStep {
    let input: Int, output: Int
    let outer: Int, axis: Int, inner: Int
    let logarithm: Bool

    func execute(_ context: ExecutionContext) {
        SoftmaxKernel.run(input: context[input], output: context[output], outer: outer, axis: axis, inner: inner,
                          logarithm: logarithm)
    }
}

/// Resize of NHWC images.
struct ResizeStep: ExecutionStep {
    let input: Int, output: Int
    let batch: Int, channels: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let tables: ResizeTables

    func execute(_ context: ExecutionContext) {
        for image in 0..<batch {
            tables.run(input: context[input] + image * inputHeight * inputWidth * channels,
                       output: context[output] + image * outputHeight * outputWidth * channels,
                       inputWidth: inputWidth, channels: channels)
        }
    }
}

/// MatMul with two run-time operands (batched, right operand broadcast when it has no batch).
struct MatMulStep: ExecutionStep {
    let left: Int, right: Int, output: Int
    let batch: Int, m: Int, k: Int, n: Int
    let rightBatchStride: Int

    func execute(_ context: ExecutionContext) {
        for index in 0..<batch {
            NaiveMatMul.run(a: context[left] + index * m * k, b: context[right] + index * rightBatchStride,
                            c: context[output] + index * m * n, m: m, k: k, n: n,
                            aRowStride: k, aColumnStride: 1, bRowStride: n, bColumnStride: 1)
        }
    }
}
