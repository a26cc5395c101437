import InferenceGraph
/// Direct convolution for layers with few input channels (network stems such as a 3-channel image
/// into 16 or 24 channels), where im2col would copy more than the GEMM computes. Vectorised over
/// output channels in groups of 16; output pixels whose windows lie inside the input horizontally go six at
/// a time over a flat list of the taps in the input's rows (four at a time elsewhere, and for 24 channels
/// at the AVX2 level, which lacks the registers for six), so independent accumulators hide the FMA latency.
/// At the AVX-512 level the interior kernels use 16-lane registers: 24 channels as 16 + 8, multiples of
/// 32 channels 32 at a time, and 16 channels twelve pixels at a time.
enum DirectConvolutionKernel {
    typealias Vector = SIMD8<Float>

    /// One output row of one image. `weights` is [ky][kx][inputChannel][paddedOutput] and `bias`
    /// [paddedOutput], `paddedOutput` a multiple of 16 with zero padding. The input is addressed
    /// through `pixelStride` and `channelStride`, so it may be NHWC or NCHW; the output is NHWC.
    static func row(_ oy: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, inputChannels: Int,
                    pixelStride: Int, channelStride: Int, outputChannels: Int, paddedOutput: Int, geometry g: WindowGeometry, weights: UnsafePointer<Float>,
                    bias: UnsafePointer<Float>) {
        let iy0 = oy * g.strideY - g.padTop
        var kyFirst = 0, kyLast = g.kernelHeight
        while kyFirst < kyLast && iy0 + kyFirst * g.dilationY < 0 { kyFirst += 1 }
        while kyLast > kyFirst && iy0 + (kyLast - 1) * g.dilationY >= g.inputHeight { kyLast -= 1 }
        // Output columns whose whole window lies inside the input horizontally.
        let extent = (g.kernelWidth - 1) * g.dilationX
        let first = min(g.outputWidth, (g.padLeft + g.strideX - 1) / g.strideX)
        let limit = g.inputWidth - 1 - extent + g.padLeft
        let last = limit < 0 ? first : max(first, min(g.outputWidth, limit / g.strideX + 1))
        var ox = 0
        if kyFirst < kyLast && (outputChannels != 24 || sixPixels24Fits) && last - first >= 6 {
            // The taps (ky, kx, channel) of the window rows inside the input, in the weights' order, as input offsets
            // from the first such row's corner, so the kernels below run one flat loop per window instead of three
            // nested ones. The weights are ky-major, so a top or bottom row's taps are a contiguous part of them:
            // ResNet-18's 7×7 stem has three such rows of 56, which went four pixels at a time through the clipping
            // kernel.
            let taps = (kyLast - kyFirst) * g.kernelWidth * inputChannels
            let iyFirst = iy0 + kyFirst * g.dilationY
            let rowWeights = weights + kyFirst * g.kernelWidth * inputChannels * paddedOutput
            withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { buffer in
                let offsets = buffer.baseAddress!
                var tap = 0
                for ky in 0..<(kyLast - kyFirst) {
                    for kx in 0..<g.kernelWidth {
                        for channel in 0..<inputChannels {
                            offsets[tap] = (ky * g.dilationY * g.inputWidth + kx * g.dilationX) * pixelStride
                                + channel * channelStride
                            tap += 1
                        }
                    }
                }
                while ox < first {
                    onePixel(oy: oy, ox: ox, kyRange: kyFirst..<kyLast, input: input, output: output,
                             inputChannels: inputChannels, pixelStride: pixelStride, channelStride: channelStride,
                             outputChannels: outputChannels, paddedOutput: paddedOutput,
                             geometry: g, weights: weights, bias: bias)
                    ox += 1
                }
                // Six pixels from output column `column` on.
                func sixPixelGroup(_ column: Int) {
                    let corner = input + (iyFirst * g.inputWidth + column * g.strideX - g.padLeft) * pixelStride
                    let pixels = output + (oy * g.outputWidth + column) * outputChannels
                    #if INFERENCECORE_AVX512
                    if outputChannels == 24 {
                        sixPixels24(corner: corner, pixelStep: g.strideX * pixelStride, offsets: offsets, taps: taps,
                                    output: pixels, paddedOutput: paddedOutput, weights: rowWeights, bias: bias)
                        return
                    }
                    if outputChannels % 32 == 0 {
                        for group in stride(from: 0, to: outputChannels, by: 32) {
                            sixPixels32(corner: corner, pixelStep: g.strideX * pixelStride, offsets: offsets, taps: taps,
                                        output: pixels + group, outputChannels: outputChannels, paddedOutput: paddedOutput,
                                        weights: rowWeights + group, bias: bias + group)
                        }
                        return
                    }
                    #endif
                    sixPixels(corner: corner, pixelStep: g.strideX * pixelStride, offsets: offsets, taps: taps,
                              output: pixels, outputChannels: outputChannels,
                              paddedOutput: paddedOutput, weights: rowWeights, bias: bias)
                }
                #if INFERENCECORE_AVX512
                if outputChannels == 16 && last - first >= 12 {
                    // Twelve pixels from output column `column` on.
                    func twelvePixelGroup(_ column: Int) {
                        twelvePixels16(corner: input + (iyFirst * g.inputWidth + column * g.strideX - g.padLeft) * pixelStride,
                                       pixelStep: g.strideX * pixelStride, offsets: offsets, taps: taps,
                                       output: output + (oy * g.outputWidth + column) * 16, weights: rowWeights, bias: bias)
                    }
                    while ox + 12 <= last {
                        twelvePixelGroup(ox)
                        ox += 12
                    }
                    if ox < last {
                        twelvePixelGroup(last - 12)
                        ox = last
                    }
                }
                #endif
                while ox + 6 <= last {
                    sixPixelGroup(ox)
                    ox += 6
                }
                // The last interior columns as one more group that overlaps the one before (it writes the same sums
                // again), instead of one pixel at a time through the window-clipping kernel.
                if ox < last {
                    sixPixelGroup(last - 6)
                    ox = last
                }
            }
        }
        while ox < g.outputWidth {
            if ox >= first && ox + 4 <= last && outputChannels == 24 {
                fourPixels24(oy: oy, ox: ox, kyRange: kyFirst..<kyLast, input: input, output: output,
                             inputChannels: inputChannels, pixelStride: pixelStride, channelStride: channelStride,
                             paddedOutput: paddedOutput, geometry: g, weights: weights, bias: bias)
                ox += 4
            } else if ox >= first && ox + 4 <= last {
                fourPixels(oy: oy, ox: ox, kyRange: kyFirst..<kyLast, input: input, output: output,
                           inputChannels: inputChannels, pixelStride: pixelStride, channelStride: channelStride,
                           outputChannels: outputChannels, paddedOutput: paddedOutput,
                           geometry: g, weights: weights, bias: bias)
                ox += 4
            } else {
                onePixel(oy: oy, ox: ox, kyRange: kyFirst..<kyLast, input: input, output: output,
                         inputChannels: inputChannels, pixelStride: pixelStride, channelStride: channelStride,
                         outputChannels: outputChannels, paddedOutput: paddedOutput,
                         geometry: g, weights: weights, bias: bias)
                ox += 1
            }
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>, _ offset: Int = 0) -> Vector {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    private static func store(_ low: Vector, _ high: Vector, to destination: UnsafeMutablePointer<Float>, live: Int) {
        if live >= 16 {
            UnsafeMutableRawPointer(destination).storeBytes(of: low, as: Vector.self)
            UnsafeMutableRawPointer(destination + 8).storeBytes(of: high, as: Vector.self)
        } else {
            for lane in 0..<min(live, 8) { destination[lane] = low[lane] }
            if live > 8 { for lane in 0..<(live - 8) { destination[8 + lane] = high[lane] } }
        }
    }

    private static func fourPixels(oy: Int, ox: Int, kyRange: Range<Int>, input: UnsafePointer<Float>,
                                   output: UnsafeMutablePointer<Float>, inputChannels: Int, pixelStride: Int,
                                   channelStride: Int, outputChannels: Int,
                                   paddedOutput: Int, geometry g: WindowGeometry, weights: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>) {
        let pixelStep = g.strideX * pixelStride
        var group = 0
        while group < outputChannels {
            var a0 = load(bias, group), b0 = load(bias, group + 8)
            var a1 = a0, b1 = b0, a2 = a0, b2 = b0, a3 = a0, b3 = b0
            for ky in kyRange {
                let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                for kx in 0..<g.kernelWidth {
                    let ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                    let source = input + (iy * g.inputWidth + ix) * pixelStride
                    let tap = weights + ((ky * g.kernelWidth + kx) * inputChannels) * paddedOutput + group
                    for channel in 0..<inputChannels {
                        let w0 = load(tap, channel * paddedOutput), w1 = load(tap, channel * paddedOutput + 8)
                        var x = Vector(repeating: source[channel * channelStride])
                        a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1)
                        x = Vector(repeating: source[pixelStep + channel * channelStride])
                        a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1)
                        x = Vector(repeating: source[2 * pixelStep + channel * channelStride])
                        a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1)
                        x = Vector(repeating: source[3 * pixelStep + channel * channelStride])
                        a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1)
                    }
                }
            }
            let destination = output + (oy * g.outputWidth + ox) * outputChannels + group
            let live = outputChannels - group
            store(a0, b0, to: destination, live: live)
            store(a1, b1, to: destination + outputChannels, live: live)
            store(a2, b2, to: destination + 2 * outputChannels, live: live)
            store(a3, b3, to: destination + 3 * outputChannels, live: live)
            group += 16
        }
    }

    /// Six horizontally adjacent, horizontally interior pixels × 16 output channels at a time: twelve accumulators,
    /// two weight vectors and one broadcast, over the flattened taps. `corner` is the first
    /// pixel's window corner, `offsets` each tap's input offset from it, `output` the first pixel's output.
    /// Stems spend their time here: ResNet-18's 7×7 stride-2 3→64 layer took 1.83 ms in the four-pixel
    /// kernel's nested loops, 1.22 ms this way.
    private static func sixPixels(corner: UnsafePointer<Float>, pixelStep: Int, offsets: UnsafePointer<Int>, taps: Int,
                                  output: UnsafeMutablePointer<Float>, outputChannels: Int, paddedOutput: Int,
                                  weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        var group = 0
        while group < outputChannels {
            var a0 = load(bias, group), b0 = load(bias, group + 8)
            var a1 = a0, b1 = b0, a2 = a0, b2 = b0, a3 = a0, b3 = b0, a4 = a0, b4 = b0, a5 = a0, b5 = b0
            var tap = weights + group
            for index in 0..<taps {
                let source = corner + offsets[index]
                let w0 = load(tap), w1 = load(tap, 8)
                tap += paddedOutput
                var x = Vector(repeating: source[0])
                a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1)
                x = Vector(repeating: source[pixelStep])
                a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1)
                x = Vector(repeating: source[2 * pixelStep])
                a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1)
                x = Vector(repeating: source[3 * pixelStep])
                a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1)
                x = Vector(repeating: source[4 * pixelStep])
                a4 = a4.addingProduct(x, w0); b4 = b4.addingProduct(x, w1)
                x = Vector(repeating: source[5 * pixelStep])
                a5 = a5.addingProduct(x, w0); b5 = b5.addingProduct(x, w1)
            }
            let live = outputChannels - group
            store(a0, b0, to: output + group, live: live)
            store(a1, b1, to: output + outputChannels + group, live: live)
            store(a2, b2, to: output + 2 * outputChannels + group, live: live)
            store(a3, b3, to: output + 3 * outputChannels + group, live: live)
            store(a4, b4, to: output + 4 * outputChannels + group, live: live)
            store(a5, b5, to: output + 5 * outputChannels + group, live: live)
            group += 16
        }
    }

    #if INFERENCECORE_AVX512
    /// Whether the six-pixel kernel has a 24-channel copy: its twelve accumulators, six of them 16 lanes wide, need the
    /// AVX-512 level (the AVX2 level would need eighteen 8-lane ones in its 16 registers).
    private static let sixPixels24Fits = true

    /// Six pixels of horizontally interior windows × 24 output channels over the flattened taps, like `sixPixels`: twelve
    /// accumulators, two weight vectors and one broadcast. The 24-channel stems (the ORN's 3×3 and the
    /// BlazeFace detectors' 5×5, both stride 2) spent their time in the four-pixel kernel's nested loops, whose
    /// innermost one runs over just three input channels.
    private static func sixPixels24(corner: UnsafePointer<Float>, pixelStep: Int, offsets: UnsafePointer<Int>, taps: Int,
                                    output: UnsafeMutablePointer<Float>, paddedOutput: Int,
                                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        // Channels 0..<16 in one 16-lane register, 16..<24 in an 8-lane one: two FMAs per pixel and tap where three
        // 8-lane ones were. On this session's Xeon (two 512-bit FMA units) the ORN's stem went from 0.079 to 0.056 ms.
        typealias Wide = SIMD16<Float>
        let wideBias = UnsafeRawPointer(bias).loadUnaligned(as: Wide.self)
        var a0 = wideBias, c0 = load(bias, 16)
        var a1 = a0, c1 = c0, a2 = a0, c2 = c0, a3 = a0, c3 = c0, a4 = a0, c4 = c0, a5 = a0, c5 = c0
        var tap = weights
        for index in 0..<taps {
            let source = corner + offsets[index]
            let w0 = UnsafeRawPointer(tap).loadUnaligned(as: Wide.self), w2 = load(tap, 16)
            tap += paddedOutput
            var value = source[0]
            a0 = a0.addingProduct(Wide(repeating: value), w0); c0 = c0.addingProduct(Vector(repeating: value), w2)
            value = source[pixelStep]
            a1 = a1.addingProduct(Wide(repeating: value), w0); c1 = c1.addingProduct(Vector(repeating: value), w2)
            value = source[2 * pixelStep]
            a2 = a2.addingProduct(Wide(repeating: value), w0); c2 = c2.addingProduct(Vector(repeating: value), w2)
            value = source[3 * pixelStep]
            a3 = a3.addingProduct(Wide(repeating: value), w0); c3 = c3.addingProduct(Vector(repeating: value), w2)
            value = source[4 * pixelStep]
            a4 = a4.addingProduct(Wide(repeating: value), w0); c4 = c4.addingProduct(Vector(repeating: value), w2)
            value = source[5 * pixelStep]
            a5 = a5.addingProduct(Wide(repeating: value), w0); c5 = c5.addingProduct(Vector(repeating: value), w2)
        }
        func store(_ low: Wide, _ high: Vector, pixel: Int) {
            let raw = UnsafeMutableRawPointer(output + pixel * 24)
            raw.storeBytes(of: low, as: Wide.self)
            raw.storeBytes(of: high, toByteOffset: 64, as: Vector.self)
        }
        store(a0, c0, pixel: 0); store(a1, c1, pixel: 1); store(a2, c2, pixel: 2)
        store(a3, c3, pixel: 3); store(a4, c4, pixel: 4); store(a5, c5, pixel: 5)
    }

    /// Six pixels of horizontally interior windows × 32 of the output channels (those from `output`, `weights` and `bias` on)
    /// over the flattened taps, in 16-lane registers: twelve accumulators, two weight vectors and one broadcast. On a
    /// core with two 512-bit FMA units (Intel's AVX-512 Xeons) that is half the instructions of two 8-lane vectors per
    /// 16 channels: ResNet-18's 7×7 stem into 64 channels ran at 72 GFLOP/s, under the core's 115 GFLOP/s AVX2
    /// ceiling (`Benchmarks/fma_peak.c`; 231 with 16 lanes).
    private static func sixPixels32(corner: UnsafePointer<Float>, pixelStep: Int, offsets: UnsafePointer<Int>, taps: Int,
                                    output: UnsafeMutablePointer<Float>, outputChannels: Int, paddedOutput: Int,
                                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        typealias Wide = SIMD16<Float>
        func load(_ pointer: UnsafePointer<Float>, _ offset: Int = 0) -> Wide {
            UnsafeRawPointer(pointer + offset).loadUnaligned(as: Wide.self)
        }
        var a0 = load(bias), b0 = load(bias, 16)
        var a1 = a0, b1 = b0, a2 = a0, b2 = b0, a3 = a0, b3 = b0, a4 = a0, b4 = b0, a5 = a0, b5 = b0
        var tap = weights
        for index in 0..<taps {
            let source = corner + offsets[index]
            let w0 = load(tap), w1 = load(tap, 16)
            tap += paddedOutput
            var x = Wide(repeating: source[0])
            a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1)
            x = Wide(repeating: source[pixelStep])
            a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1)
            x = Wide(repeating: source[2 * pixelStep])
            a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1)
            x = Wide(repeating: source[3 * pixelStep])
            a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1)
            x = Wide(repeating: source[4 * pixelStep])
            a4 = a4.addingProduct(x, w0); b4 = b4.addingProduct(x, w1)
            x = Wide(repeating: source[5 * pixelStep])
            a5 = a5.addingProduct(x, w0); b5 = b5.addingProduct(x, w1)
        }
        func store(_ low: Wide, _ high: Wide, pixel: Int) {
            let raw = UnsafeMutableRawPointer(output + pixel * outputChannels)
            raw.storeBytes(of: low, as: Wide.self)
            raw.storeBytes(of: high, toByteOffset: 64, as: Wide.self)
        }
        store(a0, b0, pixel: 0); store(a1, b1, pixel: 1); store(a2, b2, pixel: 2)
        store(a3, b3, pixel: 3); store(a4, b4, pixel: 4); store(a5, b5, pixel: 5)
    }


    /// Twelve pixels of horizontally interior windows × 16 output channels over the flattened taps: one 16-lane accumulator
    /// per pixel, one weight vector and one broadcast. Sixteen-channel stems (MobileNetV3-small's, MobileNetV1
    /// x0.5's) ran two 8-lane vectors per pixel six pixels at a time; six 16-lane accumulators were too few chains
    /// to keep two 512-bit FMA units busy (0.253 against 0.248 ms on MobileNetV3's stem).
    private static func twelvePixels16(corner: UnsafePointer<Float>, pixelStep: Int, offsets: UnsafePointer<Int>,
                                       taps: Int, output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>) {
        typealias Wide = SIMD16<Float>
        let start = UnsafeRawPointer(bias).loadUnaligned(as: Wide.self)
        var p0 = start, p1 = start, p2 = start, p3 = start, p4 = start, p5 = start
        var p6 = start, p7 = start, p8 = start, p9 = start, p10 = start, p11 = start
        var tap = weights
        for index in 0..<taps {
            let source = corner + offsets[index]
            let w = UnsafeRawPointer(tap).loadUnaligned(as: Wide.self)
            tap += 16
            p0 = p0.addingProduct(Wide(repeating: source[0]), w)
            p1 = p1.addingProduct(Wide(repeating: source[pixelStep]), w)
            p2 = p2.addingProduct(Wide(repeating: source[2 * pixelStep]), w)
            p3 = p3.addingProduct(Wide(repeating: source[3 * pixelStep]), w)
            p4 = p4.addingProduct(Wide(repeating: source[4 * pixelStep]), w)
            p5 = p5.addingProduct(Wide(repeating: source[5 * pixelStep]), w)
            p6 = p6.addingProduct(Wide(repeating: source[6 * pixelStep]), w)
            p7 = p7.addingProduct(Wide(repeating: source[7 * pixelStep]), w)
            p8 = p8.addingProduct(Wide(repeating: source[8 * pixelStep]), w)
            p9 = p9.addingProduct(Wide(repeating: source[9 * pixelStep]), w)
            p10 = p10.addingProduct(Wide(repeating: source[10 * pixelStep]), w)
            p11 = p11.addingProduct(Wide(repeating: source[11 * pixelStep]), w)
        }
        let raw = UnsafeMutableRawPointer(output)
        raw.storeBytes(of: p0, as: Wide.self); raw.storeBytes(of: p1, toByteOffset: 64, as: Wide.self)
        raw.storeBytes(of: p2, toByteOffset: 128, as: Wide.self); raw.storeBytes(of: p3, toByteOffset: 192, as: Wide.self)
        raw.storeBytes(of: p4, toByteOffset: 256, as: Wide.self); raw.storeBytes(of: p5, toByteOffset: 320, as: Wide.self)
        raw.storeBytes(of: p6, toByteOffset: 384, as: Wide.self); raw.storeBytes(of: p7, toByteOffset: 448, as: Wide.self)
        raw.storeBytes(of: p8, toByteOffset: 512, as: Wide.self); raw.storeBytes(of: p9, toByteOffset: 576, as: Wide.self)
        raw.storeBytes(of: p10, toByteOffset: 640, as: Wide.self); raw.storeBytes(of: p11, toByteOffset: 704, as: Wide.self)
    }
    #else
    /// Whether the six-pixel kernel has a 24-channel copy: not at the AVX2 level, whose 16 vector registers cannot
    /// hold its eighteen accumulators.
    private static let sixPixels24Fits = false
    #endif

    /// Stores one pixel's 24 channels.
    @inline(__always)
    private static func store24(_ a: Vector, _ b: Vector, _ c: Vector, to destination: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(destination)
        raw.storeBytes(of: a, as: Vector.self)
        raw.storeBytes(of: b, toByteOffset: 32, as: Vector.self)
        raw.storeBytes(of: c, toByteOffset: 64, as: Vector.self)
    }

    /// Four pixels × 24 output channels: twelve accumulators, three weight vectors, one broadcast.
    private static func fourPixels24(oy: Int, ox: Int, kyRange: Range<Int>, input: UnsafePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, inputChannels: Int, pixelStride: Int,
                                     channelStride: Int, paddedOutput: Int,
                                     geometry g: WindowGeometry, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        let pixelStep = g.strideX * pixelStride
        var a0 = load(bias), b0 = load(bias, 8), c0 = load(bias, 16)
        var a1 = a0, b1 = b0, c1 = c0, a2 = a0, b2 = b0, c2 = c0, a3 = a0, b3 = b0, c3 = c0
        for ky in kyRange {
            let iy = oy * g.strideY - g.padTop + ky * g.dilationY
            for kx in 0..<g.kernelWidth {
                let ix = ox * g.strideX - g.padLeft + kx * g.dilationX
                let source = input + (iy * g.inputWidth + ix) * pixelStride
                let tap = weights + ((ky * g.kernelWidth + kx) * inputChannels) * paddedOutput
                for channel in 0..<inputChannels {
                    let w = tap + channel * paddedOutput
                    let w0 = load(w), w1 = load(w, 8), w2 = load(w, 16)
                    var x = Vector(repeating: source[channel * channelStride])
                    a0 = a0.addingProduct(x, w0); b0 = b0.addingProduct(x, w1); c0 = c0.addingProduct(x, w2)
                    x = Vector(repeating: source[pixelStep + channel * channelStride])
                    a1 = a1.addingProduct(x, w0); b1 = b1.addingProduct(x, w1); c1 = c1.addingProduct(x, w2)
                    x = Vector(repeating: source[2 * pixelStep + channel * channelStride])
                    a2 = a2.addingProduct(x, w0); b2 = b2.addingProduct(x, w1); c2 = c2.addingProduct(x, w2)
                    x = Vector(repeating: source[3 * pixelStep + channel * channelStride])
                    a3 = a3.addingProduct(x, w0); b3 = b3.addingProduct(x, w1); c3 = c3.addingProduct(x, w2)
                }
            }
        }
        let destination = output + (oy * g.outputWidth + ox) * 24
        store24(a0, b0, c0, to: destination)
        store24(a1, b1, c1, to: destination + 24)
        store24(a2, b2, c2, to: destination + 48)
        store24(a3, b3, c3, to: destination + 72)
    }

    private static func onePixel(oy: Int, ox: Int, kyRange: Range<Int>, input: UnsafePointer<Float>,
                                 output: UnsafeMutablePointer<Float>, inputChannels: Int, pixelStride: Int,
                                   channelStride: Int, outputChannels: Int,
                                 paddedOutput: Int, geometry g: WindowGeometry, weights: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>) {
        let ix0 = ox * g.strideX - g.padLeft
        var kxFirst = 0, kxLast = g.kernelWidth
        while kxFirst < kxLast && ix0 + kxFirst * g.dilationX < 0 { kxFirst += 1 }
        while kxLast > kxFirst && ix0 + (kxLast - 1) * g.dilationX >= g.inputWidth { kxLast -= 1 }
        var group = 0
        while group < outputChannels {
            var low = load(bias, group), high = load(bias, group + 8)
            for ky in kyRange {
                let iy = oy * g.strideY - g.padTop + ky * g.dilationY
                for kx in kxFirst..<kxLast {
                    let source = input + (iy * g.inputWidth + ix0 + kx * g.dilationX) * pixelStride
                    let tap = weights + ((ky * g.kernelWidth + kx) * inputChannels) * paddedOutput + group
                    for channel in 0..<inputChannels {
                        let x = Vector(repeating: source[channel * channelStride])
                        low = low.addingProduct(x, load(tap, channel * paddedOutput))
                        high = high.addingProduct(x, load(tap, channel * paddedOutput + 8))
                    }
                }
            }
            store(low, high, to: output + (oy * g.outputWidth + ox) * outputChannels + group, live: outputChannels - group)
            group += 16
        }
    }
}
