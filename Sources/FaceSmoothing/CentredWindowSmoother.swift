#if canImport(Glibc)
import Glibc
#endif
import FaceModel

/// Zero-phase smoothing for sources that can wait for later frames (files): a frame's pose and expression weights
/// become the Gaussian-weighted mean of the same track's regressed values over up to `halfWidth` frames before and
/// after it. A centred window delays nothing in the video's own time, where a causal filter's output trails the face
/// (the One Euro filters by about 1.6 frames on the clips, docs/face-tracking.md); the price is that each frame is
/// published `halfWidth` frames later in wall-clock time, which a live source cannot afford and a file does not
/// notice. Near a track's first and last frames the window is cut short and its weights renormalised.
///
/// Rotations are averaged as quaternions turned into the centre sample's hemisphere and renormalised: within the few
/// degrees a head turns across a window this is the rotation mean to well below the regressor's noise.
public struct CentredWindowSmoother: Sendable {
    /// Frames on each side of the centre frame that contribute; 0 passes every frame through.
    public var halfWidth: Int
    private var samples: [Sample] = []

    private struct Sample: Sendable {
        var frame: Int
        var expression: [Float]
        var translation: SIMD3<Float>
        var scale: Float
        var rotation: Quaternion
    }

    /// A smoother averaging over `halfWidth` frames on each side.
    public init(halfWidth: Int) {
        self.halfWidth = max(halfWidth, 0)
    }

    /// The Gaussian's standard deviation in frames: `halfWidth` / 2.5, so a window's end frames weigh 4 % of its
    /// centre.
    public var standardDeviation: Float { Float(max(halfWidth, 1)) / 2.5 }

    /// The frames held (those `smoothed(at:into:)` can still use).
    public var heldFrames: [Int] { samples.map(\.frame) }

    /// Adds the regressed `parameters` of `frame`. Frames arrive in increasing order; a frame at or before the last
    /// one held starts the history again (a source that restarted its numbering).
    public mutating func append(_ parameters: FaceParameters, frame: Int) {
        if let last = samples.last, frame <= last.frame { samples.removeAll(keepingCapacity: true) }
        samples.append(Sample(frame: frame, expression: parameters.expression, translation: parameters.pose.translation,
                              scale: parameters.pose.scale, rotation: parameters.pose.rotation.normalized))
    }

    /// Writes the window's mean around `frame` into `parameters`' expression weights and pose (identity untouched),
    /// and forgets the samples no later frame's window reaches. Returns false, changing nothing, when `frame` was
    /// never appended or was already forgotten.
    @discardableResult
    public mutating func smoothed(at frame: Int, into parameters: inout FaceParameters) -> Bool {
        guard let centre = samples.firstIndex(where: { $0.frame == frame }) else { return false }
        let reference = samples[centre].rotation
        let expressionCount = samples[centre].expression.count
        if parameters.expression.count != expressionCount {
            parameters.expression = [Float](repeating: 0, count: expressionCount)
        } else {
            for index in 0..<expressionCount { parameters.expression[index] = 0 }
        }
        var translation = SIMD3<Float>.zero
        var scale: Float = 0
        var rotation = SIMD4<Float>.zero
        var totalWeight: Float = 0
        let variance = 2 * standardDeviation * standardDeviation
        for sample in samples where abs(sample.frame - frame) <= halfWidth && sample.expression.count == expressionCount {
            let offset = Float(sample.frame - frame)
            let weight = expf(-(offset * offset) / variance)
            for index in 0..<expressionCount { parameters.expression[index] += weight * sample.expression[index] }
            translation += weight * sample.translation
            scale += weight * sample.scale
            rotation += weight * (sample.rotation.dot(reference) < 0 ? -sample.rotation.vector : sample.rotation.vector)
            totalWeight += weight
        }
        for index in 0..<expressionCount { parameters.expression[index] /= totalWeight }
        parameters.pose.translation = translation / totalWeight
        parameters.pose.scale = scale / totalWeight
        let length = (rotation * rotation).sum().squareRoot()
        parameters.pose.rotation = length > 1e-6 ? Quaternion(vector: rotation / length) : reference
        samples.removeAll { $0.frame <= frame - halfWidth }
        return true
    }

    /// Forgets every sample (the track ended).
    public mutating func reset() {
        samples.removeAll(keepingCapacity: true)
    }
}
