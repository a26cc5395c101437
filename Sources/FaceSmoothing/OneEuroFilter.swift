#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of a One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff rises
/// with the signal's speed, so a still face is held steady and a moving one is followed with little lag.
/// The defaults are MediaPipe's face-landmark settings.
public struct OneEuroSettings: Sendable, Equatable, Codable {
    /// Cutoff (Hz) when the signal is still: lower means steadier and more lag. MediaPipe face: 0.05.
    public var minimumCutoff: Float
    /// How fast the cutoff rises with (scale-normalised) speed. MediaPipe face: 80.
    public var beta: Float
    /// Cutoff (Hz) of the low-pass applied to the speed estimate. MediaPipe face: 1.
    public var derivativeCutoff: Float
    /// Lag compensation, in frames: the output is moved ahead along the filtered speed by the low-pass's own
    /// lag (its time constant, which a steady motion trails by), but by at most this many frame intervals.
    /// 0 is the plain One Euro filter (MediaPipe's).
    public var prediction: Float

    /// MediaPipe's face-landmark settings: min cutoff 0.05 Hz, β 80, derivative cutoff 1 Hz, no prediction.
    public static let mediaPipeFace = OneEuroSettings(minimumCutoff: 0.05, beta: 80, derivativeCutoff: 1)

    /// Settings from their parts; the defaults are MediaPipe's face settings.
    public init(minimumCutoff: Float = 0.05, beta: Float = 80, derivativeCutoff: Float = 1, prediction: Float = 0) {
        self.minimumCutoff = minimumCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
        self.prediction = prediction
    }

    /// How far ahead (seconds) to move the output of a low-pass with cutoff `cutoff` Hz at time step `interval` s:
    /// its time constant, at most `prediction` intervals.
    @inline(__always)
    func lead(cutoff: Float, interval: Float) -> Float {
        min(1 / (2 * Float.pi * cutoff), prediction * interval)
    }

    /// Weight of a new sample in a first-order low-pass with cutoff `cutoff` Hz at time step `interval` s.
    @inline(__always)
    static func smoothingFactor(cutoff: Float, interval: Float) -> Float {
        let timeConstant = 1 / (2 * Float.pi * cutoff)
        return 1 / (1 + timeConstant / interval)
    }

    /// The cutoff (Hz) for a filtered speed.
    @inline(__always)
    func cutoff(speed: Float) -> Float { minimumCutoff + beta * abs(speed) }
}

/// A One Euro filter over a fixed-length vector (expression weights, translation), scale-normalised as in
/// MediaPipe: the speed of each element is divided by a caller-given scale (the face's size, in the unit
/// of the values), so one setting serves near and far faces. As in MediaPipe, speed is measured between raw
/// samples. With `prediction` > 0 the output leads the low-pass by its own lag along the filtered speed, so a
/// steady motion is followed without lag while a still value is held as steadily. Its storage is allocated once; `filter` works in place and does not allocate.
public struct OneEuroFilter: Sendable {
    /// The filter's settings; may be changed between samples.
    public var settings: OneEuroSettings
    /// Number of elements filtered.
    public let dimension: Int
    private var filtered: [Float]
    private var previousRaw: [Float]
    private var speed: [Float]
    private var lastTime: Double?

    /// A filter for vectors of `dimension` elements.
    public init(dimension: Int, settings: OneEuroSettings = OneEuroSettings()) {
        self.dimension = dimension
        self.settings = settings
        filtered = [Float](repeating: 0, count: dimension)
        previousRaw = filtered
        speed = filtered
    }

    /// Whether the filter has seen a sample since it was made or reset.
    public var isPrimed: Bool { lastTime != nil }

    /// Forgets the history: the next sample passes through unchanged.
    public mutating func reset() { lastTime = nil }

    /// Replaces `values` (a sample taken at `time` seconds) by its filtered value. `scale` (> 0) is the
    /// face's size in the unit of the values. A sample not later than the previous one is passed through
    /// the current state without updating it.
    public mutating func filter(_ values: inout [Float], time: Double, scale: Float = 1) {
        precondition(values.count == dimension, "sample has \(values.count) elements, filter expects \(dimension)")
        guard let previous = lastTime else {
            for index in 0..<dimension {
                filtered[index] = values[index]
                previousRaw[index] = values[index]
                speed[index] = 0
            }
            lastTime = time
            return
        }
        guard time > previous else {
            for index in 0..<dimension { values[index] = filtered[index] }
            return
        }
        let interval = Float(time - previous)
        lastTime = time
        let inverseScale = 1 / max(scale, .leastNormalMagnitude)
        let speedAlpha = OneEuroSettings.smoothingFactor(cutoff: settings.derivativeCutoff, interval: interval)
        let predicts = settings.prediction > 0
        let unscale = max(scale, .leastNormalMagnitude)
        for index in 0..<dimension {
            let raw = values[index]
            let rawSpeed = (raw - previousRaw[index]) * inverseScale / interval
            speed[index] += speedAlpha * (rawSpeed - speed[index])
            let cutoff = settings.cutoff(speed: speed[index])
            let alpha = OneEuroSettings.smoothingFactor(cutoff: cutoff, interval: interval)
            filtered[index] += alpha * (raw - filtered[index])
            previousRaw[index] = raw
            values[index] = predicts
                ? filtered[index] + settings.lead(cutoff: cutoff, interval: interval) * speed[index] * unscale
                : filtered[index]
        }
    }
}
