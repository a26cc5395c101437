import InferenceGraph
/// Geometry of a 2-D convolution or pooling window over an NHWC tensor.
struct WindowGeometry: Sendable {
    var inputHeight: Int, inputWidth: Int
    var outputHeight: Int, outputWidth: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideY: Int, strideX: Int
    var dilationY: Int, dilationX: Int
    var padTop: Int, padLeft: Int
}

/// Convolution kernels over NHWC tensors (channels innermost).
enum ConvolutionKernels {
    /// Writes the im2col matrix of one image: one row per output pixel, columns ordered
    /// (kernel y, kernel x, channel) over `channels` channels starting at `firstChannel`.
    static func im2col(input: UnsafePointer<Float>, channelStride: Int, firstChannel: Int, channels: Int,
                       geometry g: WindowGeometry, outputRows: Range<Int>, output: UnsafeMutablePointer<Float>) {
        let rowLength = g.kernelHeight * g.kernelWidth * channels
        // With all channels of a pixel taken and no horizontal dilation, the kernel's row is one
        // contiguous run of kernelWidth * channels floats in NHWC.
        let contiguousRows = channels == channelStride && g.dilationX == 1
        let run = g.kernelWidth * channels
        var destination = output
        for oy in outputRows {
            for ox in 0..<g.outputWidth {
                var column = destination
                let ix0 = ox * g.strideX - g.padLeft
                let wholeRow = contiguousRows && ix0 >= 0 && ix0 + g.kernelWidth <= g.inputWidth
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                    if wholeRow {
                        if iy >= 0 && iy < g.inputHeight {
                            let source = input + (iy * g.inputWidth + ix0) * channelStride
                            if run < 64 {
                                for index in 0..<run { column[index] = source[index] }
                            } else {
                                column.update(from: source, count: run)
                            }
                        } else {
                            for index in 0..<run { column[index] = 0 }
                        }
                        column += run
                        continue
                    }
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                        if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                            let source = input + (iy * g.inputWidth + ix) * channelStride + firstChannel
                            if channels < 16 {
                                for channel in 0..<channels { column[channel] = source[channel] }   // no memmove call for 3 floats
                            } else {
                                column.update(from: source, count: channels)
                            }
                        } else {
                            for channel in 0..<channels { column[channel] = 0 }
                        }
                        column += channels
                    }
                }
                destination += rowLength
            }
        }
    }

    /// Bytes of three input rows up to which the weight-stationary 3×3 kernel beats the channels-inner one:
    /// about three quarters of a 32 KiB L1 data cache, leaving room for the output row.
    static let depthwiseRowsInL1 = 24 * 1024

    /// 3×3 depthwise over output columns whose whole window is inside the input, weights in registers: for
    /// each block of `V.scalarCount` channels of `channelRange`, the nine weight vectors stay in
    /// registers while the columns stream past, two at a time at stride 1 (sharing four of their six input
    /// columns). Fastest while the three input rows fit in L1 together (`depthwiseRowsInL1`): the walk reads
    /// them `channels` floats apart. `input` points at the window's
    /// top input row, `output` at the output row. Generic over the vector so the AVX-512 build runs
    /// 16-channel blocks and 8-channel ones for the rest; specialised by inlining, it compiles to plain
    /// vector code.
    @inline(__always)
    static func depthwise3x3WeightsInRegisters<V: SIMD>(_ vector: V.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      channels: Int, channelRange: Range<Int>, inputWidth: Int, strideX: Int,
                                      padLeft: Int, weights: UnsafePointer<Float>, paddedChannels: Int,
                                      bias: UnsafePointer<Float>, columns: Range<Int>) where V.Scalar == Float {
        let rowStride = inputWidth * channels
        for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
            func weight(_ tap: Int) -> V {
                UnsafeRawPointer(weights + tap * paddedChannels + channel).loadUnaligned(as: V.self)
            }
            let w0 = weight(0), w1 = weight(1), w2 = weight(2), w3 = weight(3), w4 = weight(4)
            let w5 = weight(5), w6 = weight(6), w7 = weight(7), w8 = weight(8)
            let start = UnsafeRawPointer(bias + channel).loadUnaligned(as: V.self)
            func load(_ pointer: UnsafePointer<Float>) -> V { UnsafeRawPointer(pointer).loadUnaligned(as: V.self) }
            var first = columns.lowerBound
            if strideX == 1 {
                // Two neighbouring outputs share two of each row's three inputs: 12 loads for 18 FMAs instead of 18,
                // in four independent chains.
                while first + 2 <= columns.upperBound {
                    let top = input + (first - padLeft) * channels + channel
                    let middle = top + rowStride, bottom = middle + rowStride
                    var left = load(top), centre = load(top + channels)
                    var right = load(top + 2 * channels), beyond = load(top + 3 * channels)
                    var even0 = start.addingProduct(left, w0), odd0 = centre * w1
                    var even1 = start.addingProduct(centre, w0), odd1 = right * w1
                    even0 = even0.addingProduct(right, w2); even1 = even1.addingProduct(beyond, w2)
                    left = load(middle); centre = load(middle + channels)
                    right = load(middle + 2 * channels); beyond = load(middle + 3 * channels)
                    odd0 = odd0.addingProduct(left, w3); odd1 = odd1.addingProduct(centre, w3)
                    even0 = even0.addingProduct(centre, w4); even1 = even1.addingProduct(right, w4)
                    odd0 = odd0.addingProduct(right, w5); odd1 = odd1.addingProduct(beyond, w5)
                    left = load(bottom); centre = load(bottom + channels)
                    right = load(bottom + 2 * channels); beyond = load(bottom + 3 * channels)
                    even0 = even0.addingProduct(left, w6); even1 = even1.addingProduct(centre, w6)
                    odd0 = odd0.addingProduct(centre, w7); odd1 = odd1.addingProduct(right, w7)
                    even0 = even0.addingProduct(right, w8); even1 = even1.addingProduct(beyond, w8)
                    let destination = UnsafeMutableRawPointer(output + first * channels + channel)
                    destination.storeBytes(of: even0 + odd0, as: V.self)
                    destination.storeBytes(of: even1 + odd1, toByteOffset: channels * MemoryLayout<Float>.size, as: V.self)
                    first += 2
                }
            }
            for ox in first..<columns.upperBound {
                let top = input + (ox * strideX - padLeft) * channels + channel
                let middle = top + rowStride, bottom = middle + rowStride
                var even = start.addingProduct(load(top), w0)
                var odd = load(top + channels) * w1
                even = even.addingProduct(load(top + 2 * channels), w2)
                odd = odd.addingProduct(load(middle), w3)
                even = even.addingProduct(load(middle + channels), w4)
                odd = odd.addingProduct(load(middle + 2 * channels), w5)
                even = even.addingProduct(load(bottom), w6)
                odd = odd.addingProduct(load(bottom + channels), w7)
                even = even.addingProduct(load(bottom + 2 * channels), w8)
                UnsafeMutableRawPointer(output + ox * channels + channel).storeBytes(of: even + odd, as: V.self)
            }
        }
    }

    /// 3×3 depthwise over output columns whose whole window is inside the input, channels innermost:
    /// four output columns at a time at stride 1 and 2 (each row's three weight vectors and its inputs loaded
    /// once for the four), two at other strides, the last one alone; each `V.scalarCount`-channel block is read
    /// from the three contiguous input rows, its weight vectors from L1. Walking the channels of a pixel keeps
    /// every load sequential.
    /// (Holding the weights in registers and walking the pixels instead reads each row `channels` floats
    /// apart, which from 128 channels on crowds the three rows into a few L1 sets and misses on nearly
    /// every load: MobileNetV1's 14×14×512 layer took 0.30 ms that way, 0.07 ms this way; while the rows
    /// do fit, as in BlazeFace's 24–96-channel layers, that way is 10–20 % faster.) Raw sums are
    /// stored; the caller finishes the row. `input` points at the window's top input row, `output` at the
    /// output row.
    @inline(__always)
    static func depthwise3x3ChannelsInner<V: SIMD>(_ vector: V.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      channels: Int, channelRange: Range<Int>, inputWidth: Int, strideX: Int, padLeft: Int,
                                      weights: UnsafePointer<Float>, paddedChannels: Int, bias: UnsafePointer<Float>,
                                      columns: Range<Int>) where V.Scalar == Float {
        let rowStride = inputWidth * channels, step = strideX * channels
        func load(_ pointer: UnsafePointer<Float>) -> V { UnsafeRawPointer(pointer).loadUnaligned(as: V.self) }
        func store(_ sum: V, at offset: Int) { UnsafeMutableRawPointer(output + offset).storeBytes(of: sum, as: V.self) }
        var ox = columns.lowerBound
        // Four outputs at a time at strides 1 and 2, each row's three weights and its inputs loaded once for the four.
        if strideX == 1 {
            ox = depthwise3x3FourColumns(vector, StrideOneRow.self, input: input, output: output, channels: channels,
                                         channelRange: channelRange, rowStride: rowStride, padLeft: padLeft, weights: weights,
                                         paddedChannels: paddedChannels, bias: bias, columns: columns)
        } else if strideX == 2 {
            ox = depthwise3x3FourColumns(vector, StrideTwoRow.self, input: input, output: output, channels: channels,
                                         channelRange: channelRange, rowStride: rowStride, padLeft: padLeft, weights: weights,
                                         paddedChannels: paddedChannels, bias: bias, columns: columns)
        }
        while ox + 2 <= columns.upperBound {
            let left = input + (ox * strideX - padLeft) * channels
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var first = load(bias + channel), second = first
                for row in 0..<3 {
                    let pixel = left + row * rowStride + channel
                    let tap = weights + row * 3 * paddedChannels + channel
                    let w0 = load(tap), w1 = load(tap + paddedChannels), w2 = load(tap + 2 * paddedChannels)
                    first = first.addingProduct(load(pixel), w0)
                    second = second.addingProduct(load(pixel + step), w0)
                    first = first.addingProduct(load(pixel + channels), w1)
                    second = second.addingProduct(load(pixel + step + channels), w1)
                    first = first.addingProduct(load(pixel + 2 * channels), w2)
                    second = second.addingProduct(load(pixel + step + 2 * channels), w2)
                }
                store(first, at: ox * channels + channel)
                store(second, at: (ox + 1) * channels + channel)
            }
            ox += 2
        }
        if ox < columns.upperBound {
            let left = input + (ox * strideX - padLeft) * channels
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var sum = load(bias + channel)
                for row in 0..<3 {
                    let pixel = left + row * rowStride + channel
                    let tap = weights + row * 3 * paddedChannels + channel
                    sum = sum.addingProduct(load(pixel), load(tap))
                    sum = sum.addingProduct(load(pixel + channels), load(tap + paddedChannels))
                    sum = sum.addingProduct(load(pixel + 2 * channels), load(tap + 2 * paddedChannels))
                }
                store(sum, at: ox * channels + channel)
            }
        }
    }

    /// Four neighbouring output columns at a time of `depthwise3x3ChannelsInner`, from the first of `columns` while
    /// four remain; `Row` says how one window row's inputs feed the four outputs at the layer's stride. Returns the
    /// first column left.
    @inline(__always)
    private static func depthwise3x3FourColumns<V: SIMD, Row: FourOutputRow>(
        _ vector: V.Type, _ row: Row.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int,
        channelRange: Range<Int>, rowStride: Int, padLeft: Int, weights: UnsafePointer<Float>, paddedChannels: Int,
        bias: UnsafePointer<Float>, columns: Range<Int>
    ) -> Int where V.Scalar == Float {
        func load(_ pointer: UnsafePointer<Float>) -> V { UnsafeRawPointer(pointer).loadUnaligned(as: V.self) }
        var ox = columns.lowerBound
        while ox + 4 <= columns.upperBound {
            let left = input + (ox * Row.stride - padLeft) * channels
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var sums = (load(bias + channel), load(bias + channel), load(bias + channel), load(bias + channel))
                for windowRow in 0..<3 {
                    let tap = weights + windowRow * 3 * paddedChannels + channel
                    Row.accumulate(left + windowRow * rowStride + channel, channels: channels,
                                   weights: (load(tap), load(tap + paddedChannels), load(tap + 2 * paddedChannels)),
                                   into: &sums)
                }
                storeFourPixels(sums, to: output + ox * channels + channel, pixelStride: channels)
            }
            ox += 4
        }
        return ox
    }

    /// Stores four neighbouring output pixels' vectors of the same channels, `pixelStride` floats apart.
    @inline(__always)
    static func storeFourPixels<V: SIMD>(_ sums: (V, V, V, V), to destination: UnsafeMutablePointer<Float>, pixelStride: Int)
    where V.Scalar == Float {
        UnsafeMutableRawPointer(destination).storeBytes(of: sums.0, as: V.self)
        UnsafeMutableRawPointer(destination + pixelStride).storeBytes(of: sums.1, as: V.self)
        UnsafeMutableRawPointer(destination + 2 * pixelStride).storeBytes(of: sums.2, as: V.self)
        UnsafeMutableRawPointer(destination + 3 * pixelStride).storeBytes(of: sums.3, as: V.self)
    }

    /// Four neighbouring output columns of a depthwise convolution with any window whose columns all lie inside the
    /// input, over the rows `windowRows` of the window: channels innermost, each tap's weight vector loaded once for
    /// the four outputs (5 loads for 4 FMAs in four independent chains, where one pixel at a time needs 2 per FMA).
    /// Raw sums are stored; the caller finishes the row. `input` is the image, `output` the output row.
    @inline(__always)
    static func depthwiseFourColumns<V: SIMD>(_ vector: V.Type, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                              channels: Int, channelRange: Range<Int>, geometry g: WindowGeometry,
                                              firstInputRow iy0: Int, windowRows: Range<Int>, weights: UnsafePointer<Float>,
                                              paddedChannels: Int, bias: UnsafePointer<Float>, firstColumn ox: Int)
    where V.Scalar == Float {
        func load(_ pointer: UnsafePointer<Float>) -> V { UnsafeRawPointer(pointer).loadUnaligned(as: V.self) }
        let step = g.strideX * channels, tapStep = g.dilationX * channels
        let left = input + (ox * g.strideX - g.padLeft) * channels
        if g.kernelWidth == 5 && g.strideX == 1 && g.dilationX == 1 {
            // MobileNetV3's and EfficientNet's 5-wide windows at stride 1: the four outputs' windows span eight
            // pixels, each loaded once per window row and used by up to four taps (13 loads for 20 FMAs, not 25).
            // Pixels left or right of the input (the first and last groups of a row) read as zeros.
            let firstInside = max(0, g.padLeft - ox), endInside = min(8, g.inputWidth + g.padLeft - ox)
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var sum0 = load(bias + channel), sum1 = sum0, sum2 = sum0, sum3 = sum0
                for ky in windowRows {
                    let pixel = left + (iy0 + ky * g.dilationY) * g.inputWidth * channels + channel
                    let tap = weights + ky * 5 * paddedChannels + channel
                    let w0 = load(tap), w1 = load(tap + paddedChannels), w2 = load(tap + 2 * paddedChannels)
                    let w3 = load(tap + 3 * paddedChannels), w4 = load(tap + 4 * paddedChannels)
                    func at(_ index: Int) -> V {
                        index >= firstInside && index < endInside ? load(pixel + index * channels) : V()
                    }
                    let p0 = at(0), p1 = at(1), p2 = at(2)
                    let p3 = at(3)
                    sum0 = sum0.addingProduct(p0, w0); sum1 = sum1.addingProduct(p1, w0)
                    sum2 = sum2.addingProduct(p2, w0); sum3 = sum3.addingProduct(p3, w0)
                    let p4 = at(4)
                    sum0 = sum0.addingProduct(p1, w1); sum1 = sum1.addingProduct(p2, w1)
                    sum2 = sum2.addingProduct(p3, w1); sum3 = sum3.addingProduct(p4, w1)
                    let p5 = at(5)
                    sum0 = sum0.addingProduct(p2, w2); sum1 = sum1.addingProduct(p3, w2)
                    sum2 = sum2.addingProduct(p4, w2); sum3 = sum3.addingProduct(p5, w2)
                    let p6 = at(6)
                    sum0 = sum0.addingProduct(p3, w3); sum1 = sum1.addingProduct(p4, w3)
                    sum2 = sum2.addingProduct(p5, w3); sum3 = sum3.addingProduct(p6, w3)
                    let p7 = at(7)
                    sum0 = sum0.addingProduct(p4, w4); sum1 = sum1.addingProduct(p5, w4)
                    sum2 = sum2.addingProduct(p6, w4); sum3 = sum3.addingProduct(p7, w4)
                }
                storeFourPixels((sum0, sum1, sum2, sum3), to: output + ox * channels + channel, pixelStride: channels)
            }
            return
        }
        if g.kernelWidth == 7 && g.strideX == 1 && g.dilationX == 1 {
            // 7-wide windows at stride 1: the four outputs' windows span ten pixels, each loaded once per window row
            // and fed at once to the taps it meets (17 loads for 28 FMAs, not 35); pixels past the row's edges read
            // as zeros, as in the 5-wide kernel.
            let firstInside = max(0, g.padLeft - ox), endInside = min(10, g.inputWidth + g.padLeft - ox)
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var sum0 = load(bias + channel), sum1 = sum0, sum2 = sum0, sum3 = sum0
                for ky in windowRows {
                    let pixel = left + (iy0 + ky * g.dilationY) * g.inputWidth * channels + channel
                    let tap = weights + ky * 7 * paddedChannels + channel
                    let w0 = load(tap), w1 = load(tap + paddedChannels), w2 = load(tap + 2 * paddedChannels)
                    let w3 = load(tap + 3 * paddedChannels), w4 = load(tap + 4 * paddedChannels)
                    let w5 = load(tap + 5 * paddedChannels), w6 = load(tap + 6 * paddedChannels)
                    func at(_ index: Int) -> V {
                        index >= firstInside && index < endInside ? load(pixel + index * channels) : V()
                    }
                    var x: V
                    x = at(0)
                    sum0 = sum0.addingProduct(x, w0)
                    x = at(1)
                    sum0 = sum0.addingProduct(x, w1); sum1 = sum1.addingProduct(x, w0)
                    x = at(2)
                    sum0 = sum0.addingProduct(x, w2); sum1 = sum1.addingProduct(x, w1); sum2 = sum2.addingProduct(x, w0)
                    x = at(3)
                    sum0 = sum0.addingProduct(x, w3); sum1 = sum1.addingProduct(x, w2)
                    sum2 = sum2.addingProduct(x, w1); sum3 = sum3.addingProduct(x, w0)
                    x = at(4)
                    sum0 = sum0.addingProduct(x, w4); sum1 = sum1.addingProduct(x, w3)
                    sum2 = sum2.addingProduct(x, w2); sum3 = sum3.addingProduct(x, w1)
                    x = at(5)
                    sum0 = sum0.addingProduct(x, w5); sum1 = sum1.addingProduct(x, w4)
                    sum2 = sum2.addingProduct(x, w3); sum3 = sum3.addingProduct(x, w2)
                    x = at(6)
                    sum0 = sum0.addingProduct(x, w6); sum1 = sum1.addingProduct(x, w5)
                    sum2 = sum2.addingProduct(x, w4); sum3 = sum3.addingProduct(x, w3)
                    x = at(7)
                    sum1 = sum1.addingProduct(x, w6); sum2 = sum2.addingProduct(x, w5); sum3 = sum3.addingProduct(x, w4)
                    x = at(8)
                    sum2 = sum2.addingProduct(x, w6); sum3 = sum3.addingProduct(x, w5)
                    x = at(9)
                    sum3 = sum3.addingProduct(x, w6)
                }
                storeFourPixels((sum0, sum1, sum2, sum3), to: output + ox * channels + channel, pixelStride: channels)
            }
            return
        }
        if g.kernelWidth == 5 && g.strideX == 2 && g.dilationX == 1 {
            // At stride 2 the four windows span eleven pixels; each is loaded once per window row and used at once by
            // the one to three taps it meets (16 loads for 20 FMAs, not 25).
            for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
                var sum0 = load(bias + channel), sum1 = sum0, sum2 = sum0, sum3 = sum0
                for ky in windowRows {
                    let pixel = left + (iy0 + ky * g.dilationY) * g.inputWidth * channels + channel
                    let tap = weights + ky * 5 * paddedChannels + channel
                    let w0 = load(tap), w1 = load(tap + paddedChannels), w2 = load(tap + 2 * paddedChannels)
                    let w3 = load(tap + 3 * paddedChannels), w4 = load(tap + 4 * paddedChannels)
                    func at(_ index: Int) -> V { load(pixel + index * channels) }
                    sum0 = sum0.addingProduct(at(0), w0)
                    sum0 = sum0.addingProduct(at(1), w1)
                    var x = at(2)
                    sum0 = sum0.addingProduct(x, w2); sum1 = sum1.addingProduct(x, w0)
                    x = at(3)
                    sum0 = sum0.addingProduct(x, w3); sum1 = sum1.addingProduct(x, w1)
                    x = at(4)
                    sum0 = sum0.addingProduct(x, w4); sum1 = sum1.addingProduct(x, w2); sum2 = sum2.addingProduct(x, w0)
                    x = at(5)
                    sum1 = sum1.addingProduct(x, w3); sum2 = sum2.addingProduct(x, w1)
                    x = at(6)
                    sum1 = sum1.addingProduct(x, w4); sum2 = sum2.addingProduct(x, w2); sum3 = sum3.addingProduct(x, w0)
                    x = at(7)
                    sum2 = sum2.addingProduct(x, w3); sum3 = sum3.addingProduct(x, w1)
                    x = at(8)
                    sum2 = sum2.addingProduct(x, w4); sum3 = sum3.addingProduct(x, w2)
                    sum3 = sum3.addingProduct(at(9), w3)
                    sum3 = sum3.addingProduct(at(10), w4)
                }
                storeFourPixels((sum0, sum1, sum2, sum3), to: output + ox * channels + channel, pixelStride: channels)
            }
            return
        }
        for channel in stride(from: channelRange.lowerBound, to: channelRange.upperBound, by: V.scalarCount) {
            var sum0 = load(bias + channel), sum1 = sum0, sum2 = sum0, sum3 = sum0
            for ky in windowRows {
                var pixel = left + (iy0 + ky * g.dilationY) * g.inputWidth * channels + channel
                var tap = weights + ky * g.kernelWidth * paddedChannels + channel
                for _ in 0..<g.kernelWidth {
                    let weight = load(tap)
                    sum0 = sum0.addingProduct(load(pixel), weight)
                    sum1 = sum1.addingProduct(load(pixel + step), weight)
                    sum2 = sum2.addingProduct(load(pixel + 2 * step), weight)
                    sum3 = sum3.addingProduct(load(pixel + 3 * step), weight)
                    pixel += tapStep
                    tap += paddedChannels
                }
            }
            storeFourPixels((sum0, sum1, sum2, sum3), to: output + ox * channels + channel, pixelStride: channels)
        }
    }

    /// One output pixel of a depthwise convolution over the 8-channel blocks `blocks`, four vectors of channels at a
    /// time (so four FMA chains overlap), through the taps of `window` that lie inside the input. Returns the first
    /// block it left for narrower code. `output` points at the pixel's first channel.
    @inline(__always)
    static func depthwiseFourVectors<V: SIMD>(_ vector: V.Type, blocks: Range<Int>, input: UnsafePointer<Float>,
                                              output: UnsafeMutablePointer<Float>, channels: Int, geometry g: WindowGeometry,
                                              firstInputRow iy0: Int, firstInputColumn ix0: Int,
                                              window: (rows: Range<Int>, columns: Range<Int>), weights: UnsafePointer<Float>,
                                              paddedChannels: Int, bias: UnsafePointer<Float>) -> Int where V.Scalar == Float {
        let blocksPerStep = 4 * V.scalarCount / 8, bytes = MemoryLayout<V>.size
        var block = blocks.lowerBound
        while block + blocksPerStep <= blocks.upperBound {
            let channel = block * 8
            let start = UnsafeRawPointer(bias + channel)
            var a0 = start.loadUnaligned(as: V.self), a1 = start.loadUnaligned(fromByteOffset: bytes, as: V.self)
            var a2 = start.loadUnaligned(fromByteOffset: 2 * bytes, as: V.self)
            var a3 = start.loadUnaligned(fromByteOffset: 3 * bytes, as: V.self)
            for ky in window.rows {
                let rowPointer = input + ((iy0 + ky * g.dilationY) * g.inputWidth) * channels + channel
                let weightRow = weights + (ky * g.kernelWidth) * paddedChannels + channel
                for kx in window.columns {
                    let value = UnsafeRawPointer(rowPointer + (ix0 + kx * g.dilationX) * channels)
                    let weight = UnsafeRawPointer(weightRow + kx * paddedChannels)
                    a0 = a0.addingProduct(value.loadUnaligned(as: V.self), weight.loadUnaligned(as: V.self))
                    a1 = a1.addingProduct(value.loadUnaligned(fromByteOffset: bytes, as: V.self),
                                          weight.loadUnaligned(fromByteOffset: bytes, as: V.self))
                    a2 = a2.addingProduct(value.loadUnaligned(fromByteOffset: 2 * bytes, as: V.self),
                                          weight.loadUnaligned(fromByteOffset: 2 * bytes, as: V.self))
                    a3 = a3.addingProduct(value.loadUnaligned(fromByteOffset: 3 * bytes, as: V.self),
                                          weight.loadUnaligned(fromByteOffset: 3 * bytes, as: V.self))
                }
            }
            let destination = UnsafeMutableRawPointer(output + channel)
            destination.storeBytes(of: a0, as: V.self)
            destination.storeBytes(of: a1, toByteOffset: bytes, as: V.self)
            destination.storeBytes(of: a2, toByteOffset: 2 * bytes, as: V.self)
            destination.storeBytes(of: a3, toByteOffset: 3 * bytes, as: V.self)
            block += blocksPerStep
        }
        return block
    }

    /// Depthwise convolution of one image: every channel convolved with its own kernel, row by row. Each output row
    /// takes its interior columns (whose window lies inside the input) through a kernel that shares loads between
    /// neighbouring outputs, its border pixels (and the lanes beyond the last whole 8-channel block) one at a time,
    /// then bias-free raw sums are finished with the residual and activation. `weights` is
    /// [kernelHeight][kernelWidth][paddedChannels], `bias` has `paddedChannels` entries; padding lanes are zero.
    static func depthwise(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int,
                          geometry g: WindowGeometry, weights: UnsafePointer<Float>, paddedChannels: Int,
                          bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, activation: Activation,
                          rows: Range<Int>) {
        let layer = DepthwiseLayer(input: input, output: output, channels: channels, geometry: g, weights: weights,
                                   paddedChannels: paddedChannels, bias: bias)
        for oy in rows {
            let iy0 = oy * g.strideY - g.padTop
            var kyFirst = 0, kyLast = g.kernelHeight
            while kyFirst < kyLast && iy0 + kyFirst * g.dilationY < 0 { kyFirst += 1 }
            while kyLast > kyFirst && iy0 + (kyLast - 1) * g.dilationY >= g.inputHeight { kyLast -= 1 }
            let windowRows = kyFirst..<kyLast
            var interior = layer.interior3x3(row: oy, windowRows: windowRows)
            if interior.isEmpty { interior = layer.interiorFourColumns(row: oy, windowRows: windowRows) }
            // The interior kernels did every whole 8-channel block of their columns; when that is every channel, only
            // the border columns are left (walking all of them cost the 16-channel 60×60 layer a third of its time).
            let interiorDone = layer.fullBlocks * 8 == channels ? interior : 0..<0
            for ox in 0..<g.outputWidth where !interiorDone.contains(ox) {
                layer.pixel(row: oy, column: ox, windowRows: windowRows,
                            firstBlock: interior.contains(ox) ? layer.fullBlocks : 0)
            }
            let rowStart = oy * g.outputWidth * channels
            finishResults(output + rowStart, count: g.outputWidth * channels, bias: nil,
                          residual: residual.map { $0 + rowStart }, activation: activation)
        }
    }
}

/// One depthwise layer's operands, for the kernels that compute one output row's parts.
private struct DepthwiseLayer {
    let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    let channels: Int
    let geometry: WindowGeometry
    let weights: UnsafePointer<Float>, paddedChannels: Int
    let bias: UnsafePointer<Float>
    /// Output columns whose window lies inside the input's width (empty when none does).
    let interiorColumns: Range<Int>
    /// Whether three input rows fit in L1 together (`ConvolutionKernels.depthwiseRowsInL1`), which decides between the
    /// two 3×3 interior kernels.
    let rowsFitInL1: Bool

    init(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, geometry g: WindowGeometry,
         weights: UnsafePointer<Float>, paddedChannels: Int, bias: UnsafePointer<Float>) {
        self.input = input
        self.output = output
        self.channels = channels
        self.geometry = g
        self.weights = weights
        self.paddedChannels = paddedChannels
        self.bias = bias
        let lastStart = g.inputWidth - 1 - (g.kernelWidth - 1) * g.dilationX + g.padLeft
        let first = (g.padLeft + g.strideX - 1) / g.strideX
        interiorColumns = lastStart >= 0 ? first..<max(first, min(g.outputWidth, lastStart / g.strideX + 1)) : 0..<0
        rowsFitInL1 = 3 * g.inputWidth * channels * MemoryLayout<Float>.size <= ConvolutionKernels.depthwiseRowsInL1
    }

    /// Whole 8-channel blocks; the channels past them are computed apart.
    var fullBlocks: Int { channels / 8 }

    /// Channels the 16-lane kernels take (whole 16-channel blocks in the AVX-512 build, none in the AVX2 build).
    var wideChannels: Int {
        #if INFERENCECORE_AVX512
        channels / 16 * 16
        #else
        0
        #endif
    }

    /// Interior columns of a full-height 3×3 row through a 3×3 kernel: weights in registers while the three input
    /// rows fit in L1, channels innermost beyond. Returns the columns done (empty for any other window or row).
    func interior3x3(row oy: Int, windowRows: Range<Int>) -> Range<Int> {
        let g = geometry, columns = interiorColumns
        guard g.kernelHeight == 3 && g.kernelWidth == 3 && g.dilationX == 1 && g.dilationY == 1 && windowRows == 0..<3
                && fullBlocks > 0 && !columns.isEmpty else { return 0..<0 }
        let rowInput = input + (oy * g.strideY - g.padTop) * g.inputWidth * channels
        let rowOutput = output + oy * g.outputWidth * channels
        @inline(__always)
        func run<V: SIMD>(_ vector: V.Type, _ channelRange: Range<Int>) where V.Scalar == Float {
            guard !channelRange.isEmpty else { return }
            if rowsFitInL1 {
                ConvolutionKernels.depthwise3x3WeightsInRegisters(
                    vector, input: rowInput, output: rowOutput, channels: channels, channelRange: channelRange,
                    inputWidth: g.inputWidth, strideX: g.strideX, padLeft: g.padLeft, weights: weights,
                    paddedChannels: paddedChannels, bias: bias, columns: columns)
            } else {
                ConvolutionKernels.depthwise3x3ChannelsInner(
                    vector, input: rowInput, output: rowOutput, channels: channels, channelRange: channelRange,
                    inputWidth: g.inputWidth, strideX: g.strideX, padLeft: g.padLeft, weights: weights,
                    paddedChannels: paddedChannels, bias: bias, columns: columns)
            }
        }
        run(SIMD16<Float>.self, 0..<wideChannels)
        run(SIMD8<Float>.self, wideChannels..<(fullBlocks * 8))
        return columns
    }

    /// Interior columns of any other window (5×5, strided, dilated, or a row at the top or bottom edge), four at a
    /// time, the last group moved back to end at the last interior column (its first columns are computed twice, to
    /// the same raw sums). Returns the columns done (empty when fewer than four are interior).
    func interiorFourColumns(row oy: Int, windowRows: Range<Int>) -> Range<Int> {
        let g = geometry
        // The 5- and 7-wide stride-1 kernels read pixels beyond the input's width as zeros, so they take every column.
        let everyColumn = (g.kernelWidth == 5 || g.kernelWidth == 7) && g.strideX == 1 && g.dilationX == 1
        let first = everyColumn ? 0 : interiorColumns.lowerBound
        let last = everyColumn ? g.outputWidth : interiorColumns.upperBound
        guard fullBlocks > 0 && last - first >= 4 else { return 0..<0 }
        let rowOutput = output + oy * g.outputWidth * channels, iy0 = oy * g.strideY - g.padTop
        for group in 0..<(last - first + 3) / 4 {
            let column = min(first + 4 * group, last - 4)
            if wideChannels > 0 {
                ConvolutionKernels.depthwiseFourColumns(
                    SIMD16<Float>.self, input: input, output: rowOutput, channels: channels, channelRange: 0..<wideChannels,
                    geometry: g, firstInputRow: iy0, windowRows: windowRows, weights: weights,
                    paddedChannels: paddedChannels, bias: bias, firstColumn: column)
            }
            if wideChannels < fullBlocks * 8 {
                ConvolutionKernels.depthwiseFourColumns(
                    SIMD8<Float>.self, input: input, output: rowOutput, channels: channels,
                    channelRange: wideChannels..<(fullBlocks * 8), geometry: g, firstInputRow: iy0, windowRows: windowRows,
                    weights: weights, paddedChannels: paddedChannels, bias: bias, firstColumn: column)
            }
        }
        return first..<last
    }

    /// One output pixel from the 8-channel block `firstBlock` on, through the taps of the window inside the input:
    /// four vectors of channels at a time (64 channels in zmm in the AVX-512 build, then 32), then one block at a
    /// time, then the lanes past the last whole block.
    func pixel(row oy: Int, column ox: Int, windowRows: Range<Int>, firstBlock: Int) {
        typealias Vector = SIMD8<Float>
        let g = geometry
        let iy0 = oy * g.strideY - g.padTop, ix0 = ox * g.strideX - g.padLeft
        var kxFirst = 0, kxLast = g.kernelWidth
        while kxFirst < kxLast && ix0 + kxFirst * g.dilationX < 0 { kxFirst += 1 }
        while kxLast > kxFirst && ix0 + (kxLast - 1) * g.dilationX >= g.inputWidth { kxLast -= 1 }
        let outputPixel = output + (oy * g.outputWidth + ox) * channels
        let window = (rows: windowRows, columns: kxFirst..<kxLast)
        var block = firstBlock
        #if INFERENCECORE_AVX512
        block = ConvolutionKernels.depthwiseFourVectors(
            SIMD16<Float>.self, blocks: block..<fullBlocks, input: input, output: outputPixel, channels: channels,
            geometry: g, firstInputRow: iy0, firstInputColumn: ix0, window: window, weights: weights,
            paddedChannels: paddedChannels, bias: bias)
        #endif
        block = ConvolutionKernels.depthwiseFourVectors(
            Vector.self, blocks: block..<fullBlocks, input: input, output: outputPixel, channels: channels, geometry: g,
            firstInputRow: iy0, firstInputColumn: ix0, window: window, weights: weights, paddedChannels: paddedChannels,
            bias: bias)
        /// One vector of channels from `channel` on (lanes past the channel count read the padded arena against
        /// zero weights).
        func oneVector(_ channel: Int) -> Vector {
            var accumulator = UnsafeRawPointer(bias + channel).loadUnaligned(as: Vector.self)
            for ky in window.rows {
                let rowPointer = input + ((iy0 + ky * g.dilationY) * g.inputWidth) * channels + channel
                let weightRow = weights + (ky * g.kernelWidth) * paddedChannels + channel
                for kx in window.columns {
                    let value = UnsafeRawPointer(rowPointer + (ix0 + kx * g.dilationX) * channels).loadUnaligned(as: Vector.self)
                    let weight = UnsafeRawPointer(weightRow + kx * paddedChannels).loadUnaligned(as: Vector.self)
                    accumulator = accumulator.addingProduct(value, weight)
                }
            }
            return accumulator
        }
        for block in block..<fullBlocks {
            UnsafeMutableRawPointer(outputPixel + block * 8).storeBytes(of: oneVector(block * 8), as: Vector.self)
        }
        let channel = fullBlocks * 8
        if channel < channels {
            let remainder = oneVector(channel)
            for lane in 0..<(channels - channel) { outputPixel[channel + lane] = remainder[lane] }
        }
    }
}

/// How one row of a 3×3 window feeds four neighbouring outputs at one stride, each input loaded once:
/// `pixel` is the row's first input (at the layer's channel block), `weights` the row's three taps.
private protocol FourOutputRow {
    static var stride: Int { get }
    static func accumulate<V: SIMD>(_ pixel: UnsafePointer<Float>, channels: Int, weights w: (V, V, V),
                                    into sums: inout (V, V, V, V)) where V.Scalar == Float
}

/// Stride 1: six inputs, each feeding up to three outputs (27 loads for 36 FMAs with the weights, where two columns
/// at a time need 27 for 18).
private enum StrideOneRow: FourOutputRow {
    static var stride: Int { 1 }
    @inline(__always)
    static func accumulate<V: SIMD>(_ pixel: UnsafePointer<Float>, channels: Int, weights w: (V, V, V),
                                    into sums: inout (V, V, V, V)) where V.Scalar == Float {
        func load(_ column: Int) -> V { UnsafeRawPointer(pixel + column * channels).loadUnaligned(as: V.self) }
        var value = load(0)
        sums.0 = sums.0.addingProduct(value, w.0)
        value = load(1)
        sums.0 = sums.0.addingProduct(value, w.1); sums.1 = sums.1.addingProduct(value, w.0)
        value = load(2)
        sums.0 = sums.0.addingProduct(value, w.2); sums.1 = sums.1.addingProduct(value, w.1)
        sums.2 = sums.2.addingProduct(value, w.0)
        value = load(3)
        sums.1 = sums.1.addingProduct(value, w.2); sums.2 = sums.2.addingProduct(value, w.1)
        sums.3 = sums.3.addingProduct(value, w.0)
        value = load(4)
        sums.2 = sums.2.addingProduct(value, w.2); sums.3 = sums.3.addingProduct(value, w.1)
        value = load(5)
        sums.3 = sums.3.addingProduct(value, w.2)
    }
}

/// Stride 2: nine inputs, the third of one output's being the first of the next (36 loads for 36 FMAs, where two
/// columns at a time need 54).
private enum StrideTwoRow: FourOutputRow {
    static var stride: Int { 2 }
    @inline(__always)
    static func accumulate<V: SIMD>(_ pixel: UnsafePointer<Float>, channels: Int, weights w: (V, V, V),
                                    into sums: inout (V, V, V, V)) where V.Scalar == Float {
        func load(_ column: Int) -> V { UnsafeRawPointer(pixel + column * channels).loadUnaligned(as: V.self) }
        sums.0 = sums.0.addingProduct(load(0), w.0)
        sums.0 = sums.0.addingProduct(load(1), w.1)
        var shared = load(2)
        sums.0 = sums.0.addingProduct(shared, w.2); sums.1 = sums.1.addingProduct(shared, w.0)
        sums.1 = sums.1.addingProduct(load(3), w.1)
        shared = load(4)
        sums.1 = sums.1.addingProduct(shared, w.2); sums.2 = sums.2.addingProduct(shared, w.0)
        sums.2 = sums.2.addingProduct(load(5), w.1)
        shared = load(6)
        sums.2 = sums.2.addingProduct(shared, w.2); sums.3 = sums.3.addingProduct(shared, w.0)
        sums.3 = sums.3.addingProduct(load(7), w.1)
        sums.3 = sums.3.addingProduct(load(8), w.2)
    }
}
