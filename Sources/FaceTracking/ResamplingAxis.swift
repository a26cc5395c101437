#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The source taps of every output position along one axis of a scaled, offset resampling (one row or
/// one column of a letterbox). Downscaling averages the covered source pixels by area (as OpenCV's
/// `INTER_AREA`, which the reference measurements use), so small detector inputs do not alias; upscaling
/// interpolates linearly between pixel centres. Output positions outside the source get no taps (black).
struct ResamplingAxis: Sendable, Equatable {
    /// Output positions along the axis.
    let outputCount: Int
    /// Taps stored per output position (unused ones have weight 0 and index 0).
    let tapsPerOutput: Int
    /// Source index of every tap, `outputCount × tapsPerOutput`.
    let indices: [Int32]
    /// Weight of every tap; the weights of one output sum to its covered fraction (1 inside the source).
    let weights: [Float]

    /// Output position `o` covers `[o, o + 1)`, which is `[(o − padding) / scale, (o + 1 − padding) / scale)`
    /// in source pixels.
    init(outputCount: Int, sourceCount: Int, scale: Float, padding: Float) {
        self.outputCount = outputCount
        let source = Float(sourceCount)
        if scale < 1 {
            let taps = Int((1 / scale).rounded(.up)) + 1
            var indices = [Int32](repeating: 0, count: outputCount * taps)
            var weights = [Float](repeating: 0, count: outputCount * taps)
            for output in 0..<outputCount {
                let low = max((Float(output) - padding) / scale, 0)
                let high = min((Float(output) + 1 - padding) / scale, source)
                guard high > low else { continue }
                var tap = 0
                var pixel = Int(low.rounded(.down))
                while Float(pixel) < high, tap < taps, pixel < sourceCount {
                    let overlap = min(high, Float(pixel + 1)) - max(low, Float(pixel))
                    indices[output * taps + tap] = Int32(pixel)
                    weights[output * taps + tap] = max(overlap, 0) * scale
                    tap += 1
                    pixel += 1
                }
            }
            tapsPerOutput = taps
            self.indices = indices
            self.weights = weights
        } else {
            var indices = [Int32](repeating: 0, count: outputCount * 2)
            var weights = [Float](repeating: 0, count: outputCount * 2)
            for output in 0..<outputCount {
                let centre = (Float(output) + 0.5 - padding) / scale
                guard centre >= 0, centre < source else { continue }
                let position = centre - 0.5
                let lower = position.rounded(.down)
                let fraction = position - lower
                let first = Int(lower)
                indices[output * 2] = Int32(min(max(first, 0), sourceCount - 1))
                indices[output * 2 + 1] = Int32(min(max(first + 1, 0), sourceCount - 1))
                weights[output * 2] = 1 - fraction
                weights[output * 2 + 1] = fraction
            }
            tapsPerOutput = 2
            self.indices = indices
            self.weights = weights
        }
    }
}
