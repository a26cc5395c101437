/// Deterministic Gaussian noise (SplitMix64 + Box–Muller), so the synthetic tracks are the same every run.
struct NoiseSource {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(1 << 53)
    }

    mutating func gaussian(sigma: Double) -> Double {
        let u = uniform(), v = uniform()
        return sigma * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// Root mean square of frame-to-frame differences of `values[range]`.
func frameToFrameJitter(_ values: [Double], in range: Range<Int>) -> Double {
    let differences = range.dropFirst().map { values[$0] - values[$0 - 1] }
    return (differences.map { $0 * $0 }.reduce(0, +) / Double(differences.count)).squareRoot()
}

/// Frames after `stepFrame` (0 = the frame the step appears) until `values` first comes within 10 % of the
/// step of `target` — the lag of a filter on a step of size `stepSize`.
func stepLag(_ values: [Double], stepFrame: Int, target: Double, stepSize: Double) -> Int {
    for frame in stepFrame..<values.count where abs(values[frame] - target) <= 0.1 * abs(stepSize) {
        return frame - stepFrame
    }
    return values.count
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
