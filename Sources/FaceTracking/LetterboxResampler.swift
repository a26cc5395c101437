import VideoIngest

/// Fits an RGB frame into a square network input as MediaPipe does (scaled to fit, aspect kept, centred,
/// padded black) and writes it normalised, planar (NCHW), into a caller's buffer. The tap tables and the
/// intermediate row buffer are made once per frame size, so a stream of equally sized frames allocates nothing.
struct LetterboxResampler {
    /// Input width and height in pixels.
    let inputWidth: Int, inputHeight: Int
    /// `value = pixel · scale + offset`, from the sidecar.
    let normalization: DetectorSpecification.Normalization

    private var frameSize: SIMD2<Int> = .zero
    private var horizontal: ResamplingAxis?
    private var vertical: ResamplingAxis?
    private var rows: [Float] = []
    /// The letterbox of the last frame size seen.
    private(set) var letterbox: Letterbox?

    /// A resampler into inputs of the given size.
    init(inputWidth: Int, inputHeight: Int, normalization: DetectorSpecification.Normalization) {
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.normalization = normalization
    }

    /// Makes the tables for a frame size unless they are already there; returns the letterbox.
    mutating func prepare(width: Int, height: Int) -> Letterbox {
        if let letterbox, frameSize == SIMD2(width, height) { return letterbox }
        let box = Letterbox(imageWidth: width, imageHeight: height, inputWidth: inputWidth, inputHeight: inputHeight)
        horizontal = ResamplingAxis(outputCount: inputWidth, sourceCount: width, scale: box.scale, padding: box.padding.x)
        vertical = ResamplingAxis(outputCount: inputHeight, sourceCount: height, scale: box.scale, padding: box.padding.y)
        rows = [Float](repeating: 0, count: inputHeight * width * 3)
        frameSize = SIMD2(width, height)
        letterbox = box
        return box
    }

    /// Writes `frame` letterboxed and normalised into `destination` (3 planes of `inputHeight × inputWidth`).
    mutating func resample(_ frame: VideoFrame, into destination: UnsafeMutableBufferPointer<Float>) -> Letterbox {
        precondition(destination.count >= 3 * inputWidth * inputHeight, "letterbox destination too small")
        let box = prepare(width: frame.width, height: frame.height)
        guard let horizontal, let vertical else { return box }
        let width = inputWidth, plane = inputWidth * inputHeight
        let scale = normalization.scale, offset = normalization.offset
        // Vertical pass first, over whole rows of bytes (contiguous, eight lanes at a time), into
        // `inputHeight` float rows; then the horizontal pass over those few rows.
        let rowFloats = frame.width * 3
        rows.withUnsafeMutableBufferPointer { rows in
            frame.pixels.withUnsafeBufferPointer { pixels in
                vertical.indices.withUnsafeBufferPointer { indices in
                    vertical.weights.withUnsafeBufferPointer { weights in
                        let taps = vertical.tapsPerOutput
                        for y in 0..<inputHeight {
                            let output = rows.baseAddress! + y * rowFloats
                            output.update(repeating: 0, count: rowFloats)
                            for tap in (y * taps)..<(y * taps + taps) where weights[tap] != 0 {
                                Self.accumulate(weights[tap], row: pixels.baseAddress! + Int(indices[tap]) * frame.bytesPerRow,
                                                into: output, count: rowFloats)
                            }
                        }
                    }
                }
            }
            horizontal.indices.withUnsafeBufferPointer { indices in
                horizontal.weights.withUnsafeBufferPointer { weights in
                    let taps = horizontal.tapsPerOutput
                    for y in 0..<inputHeight {
                        let row = rows.baseAddress! + y * rowFloats
                        for x in 0..<width {
                            var sum = SIMD3<Float>.zero
                            for tap in (x * taps)..<(x * taps + taps) {
                                let source = row + Int(indices[tap]) * 3
                                sum += weights[tap] * SIMD3(source[0], source[1], source[2])
                            }
                            let out = y * width + x
                            destination[out] = sum.x * scale + offset
                            destination[plane + out] = sum.y * scale + offset
                            destination[2 * plane + out] = sum.z * scale + offset
                        }
                    }
                }
            }
        }
        return box
    }

    /// `output[i] += weight · Float(row[i])` for `count` values, eight at a time.
    @inline(__always)
    private static func accumulate(_ weight: Float, row: UnsafePointer<UInt8>, into output: UnsafeMutablePointer<Float>, count: Int) {
        let lanes = SIMD8<Float>(repeating: weight)
        var index = 0
        while index + 8 <= count {
            let bytes = UnsafeRawPointer(row + index).loadUnaligned(as: SIMD8<UInt8>.self)
            let values = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes))
            let sum = UnsafeRawPointer(output + index).loadUnaligned(as: SIMD8<Float>.self).addingProduct(values, lanes)
            UnsafeMutableRawPointer(output + index).storeBytes(of: sum, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            output[index] += weight * Float(row[index])
            index += 1
        }
    }
}
