#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of a One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff rises
/// with the signal's speed, so a still face is held steady and a moving one is followed with little lag.
/// Defaults are MediaPipe's face-landmark settings.
public struct OneEuroSettings: Sendable, Equatable, Codable {
    /// Cutoff (Hz) when the signal is still: lower means steadier and more lag. MediaPipe face: 0.05.
    public var minimumCutoff: Float
    /// How fast the cutoff rises with speed (per unit of normalised speed). MediaPipe face: 80.
    public var beta: Float
    /// Cutoff (Hz) of the low-pass applied to the speed estimate. MediaPipe face: 1.
    public var derivativeCutoff: Float

    /// Settings from their parts; the defaults are MediaPipe's face settings.
    public init(minimumCutoff: Float = 0.05, beta: Float = 80, derivativeCutoff: Float = 1) {
        self.minimumCutoff = minimumCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
    }

    /// Smoothing factor of a first-order low-pass with cutoff `cutoff` Hz at time step `interval` seconds.
    @inline(__always)
    static func smoothingFactor(cutoff: Float, interval: Float) -> Float {
        let timeConstant = 1 / (2 * Float.pi * cutoff)
        return 1 / (1 + timeConstant / interval)
    }
}

/// A One Euro filter over a fixed-length vector (expression weights, translation), scale-normalised:
/// each sample's speed is divided by a caller-given scale (the face's size in the image, as MediaPipe does),
/// so the same settings work for near and far faces. Storage is allocated once; `filter` does not allocate.
public struct OneEuroFilter: Sendable {
    /// The filter's settings; may be changed between samples.
    public var settings: OneEuroSettings
    /// The filtered vector (empty until the first sample).
    public private(set) var value: [Float]
    private var derivative: [Float]
    private var lastTime: Double?
    private let dimension: Int

    /// A filter for vectors of `dimension` elements.
    public init(dimension: Int, settings: OneEuroSettings = OneEuroSettings()) {
        self.dimension = dimension
        self.settings = settings
        value = [Float](repeating: 0, count: dimension)
        derivative = [Float](repeating: 0, count: dimension)
    }

    /// Forgets the history: the next sample passes through unchanged.
    public mutating func reset() {
        lastTime = nil
    }

    /// Filters `sample` taken at `time` (seconds, increasing); `scale` is the face's size (pixels or any unit,
    /// > 0) used to normalise speed. Returns the filtered value, also kept in `value`.
    @discardableResult
    public mutating func filter(_ sample: [Float], time: Double, scale: Float = 1) -> [Float] {
        precondition(sample.count == dimension, "sample has \(sample.count) elements, filter expects \(dimension)")
        guard let previous = lastTime, time > previous else {
            if lastTime == nil {
                for index in 0..<dimension {
                    value[index] = sample[index]
                    derivative[index] = 0
                }
                lastTime = time
            }
            return value
        }
        let interval = Float(time - previous)
        lastTime = time
        let inverseScale = 1 / max(scale, .leastNormalMagnitude)
        let derivativeAlpha = OneEuroSettings.smoothingFactor(cutoff: settings.derivativeCutoff, interval: interval)
        for index in 0..<dimension {
            let speed = (sample[index] - value[index]) * inverseScale / interval
            derivative[index] += derivativeAlpha * (speed - derivative[index])
            let cutoff = settings.minimumCutoff + settings.beta * abs(derivative[index])
            let alpha = OneEuroSettings.smoothingFactor(cutoff: cutoff, interval: interval)
            value[index] += alpha * (sample[index] - value[index])
        }
        return value
    }
}
