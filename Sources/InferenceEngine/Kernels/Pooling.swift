import InferenceGraph
/// Max and average pooling over NHWC tensors, vectorised over channels.
enum PoolingKernels {
    /// One image. Average pooling divides by the number of in-bounds taps, or, with
    /// `countIncludePad`, by the window clipped to the padded extent (onnxruntime's rule).
    static func pool(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int,
                     geometry g: WindowGeometry, padBottom: Int, padRight: Int, isMax: Bool, countIncludePad: Bool) {
        for oy in 0..<g.outputHeight {
            let y0 = oy * g.strideY - g.padTop
            let yEndPadded = min(y0 + g.kernelHeight, g.inputHeight + padBottom)
            let yFirst = max(y0, 0), yLast = min(y0 + g.kernelHeight, g.inputHeight)
            for ox in 0..<g.outputWidth {
                let x0 = ox * g.strideX - g.padLeft
                let xEndPadded = min(x0 + g.kernelWidth, g.inputWidth + padRight)
                let xFirst = max(x0, 0), xLast = min(x0 + g.kernelWidth, g.inputWidth)
                let destination = output + (oy * g.outputWidth + ox) * channels
                let taps = max(0, yLast - yFirst) * max(0, xLast - xFirst)
                let divisor = Float(countIncludePad ? (yEndPadded - y0) * (xEndPadded - x0) : max(taps, 1))
                // Plain per-channel loops: LLVM vectorises them (vmaxps / vaddps).
                var first = true
                for iy in yFirst..<max(yFirst, yLast) {
                    for ix in xFirst..<max(xFirst, xLast) {
                        let source = input + (iy * g.inputWidth + ix) * channels
                        if first {
                            destination.update(from: source, count: channels)
                            first = false
                        } else if isMax {
                            for channel in 0..<channels { let value = source[channel]; destination[channel] = value > destination[channel] ? value : destination[channel] }
                        } else {
                            for channel in 0..<channels { destination[channel] += source[channel] }
                        }
                    }
                }
                if first {
                    destination.update(repeating: 0, count: channels)
                } else if !isMax {
                    let scale = 1 / divisor
                    for channel in 0..<channels { destination[channel] *= scale }
                }
            }
        }
    }

    /// Mean over all pixels of one NHWC image, per channel.
    static func globalAverage(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pixels: Int, channels: Int) {
        output.update(repeating: 0, count: channels)
        for pixel in 0..<pixels {
            let source = input + pixel * channels
            var channel = 0
            while channel + 8 <= channels {
                let sum = UnsafeRawPointer(output + channel).loadUnaligned(as: SIMD8<Float>.self)
                    + UnsafeRawPointer(source + channel).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(output + channel).storeBytes(of: sum, as: SIMD8<Float>.self)
                channel += 8
            }
            while channel < channels { output[channel] += source[channel]; channel += 1 }
        }
        let scale = 1 / Float(max(pixels, 1))
        for channel in 0..<channels { output[channel] *= scale }
    }
}
