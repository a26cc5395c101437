/// Settings of the per-person identity estimate.
public struct IdentitySettings: Sendable, Equatable, Codable {
    /// Weight factor of a frame judged occluded (its confidence is multiplied by this); default 0.1.
    public var occludedWeight: Float
    /// Occlusion score (0…1, from the regressor) at or above which a frame counts as occluded; default 0.3.
    public var occlusionThreshold: Float
    /// Total weight at which the mean stops growing its memory and becomes an exponential average,
    /// so a wrong early estimate can still be corrected; default 300 (ten seconds of confident frames at 30 fps).
    public var maximumWeight: Float

    /// Settings from their parts.
    public init(occludedWeight: Float = 0.1, occlusionThreshold: Float = 0.3, maximumWeight: Float = 300) {
        self.occludedWeight = occludedWeight
        self.occlusionThreshold = occlusionThreshold
        self.maximumWeight = maximumWeight
    }
}

/// One identity estimate per tracked person: a confidence-weighted running mean of the regressor's
/// identity coefficients, where frames judged occluded weigh less. Identity does not change within a
/// track, so averaging removes the per-frame flicker instead of following it. Allocation-free per frame.
public struct IdentityEstimator: Sendable {
    /// Settings; may be changed between frames.
    public var settings: IdentitySettings
    /// The current estimate (zeros, the mean face, before any frame).
    public private(set) var mean: [Float]
    /// Sum of the weights of the frames averaged so far (capped at `settings.maximumWeight`).
    public private(set) var totalWeight: Float = 0

    /// An estimator for `dimension` identity coefficients.
    public init(dimension: Int, settings: IdentitySettings = IdentitySettings()) {
        self.settings = settings
        mean = [Float](repeating: 0, count: dimension)
    }

    /// The weight a frame gets: its confidence (0…1), reduced when its occlusion score says occluded.
    public func weight(confidence: Float, occlusion: Float) -> Float {
        let clamped = min(max(confidence, 0), 1)
        return occlusion >= settings.occlusionThreshold ? clamped * settings.occludedWeight : clamped
    }

    /// Adds one frame's identity coefficients, then replaces them by the current estimate (in place).
    public mutating func update(_ identity: inout [Float], confidence: Float, occlusion: Float) {
        add(identity, confidence: confidence, occlusion: occlusion)
        for index in 0..<mean.count { identity[index] = mean[index] }
    }

    /// Adds one frame's identity coefficients to the estimate.
    public mutating func add(_ identity: [Float], confidence: Float, occlusion: Float) {
        precondition(identity.count == mean.count, "identity has \(identity.count) coefficients, estimator expects \(mean.count)")
        let frameWeight = weight(confidence: confidence, occlusion: occlusion)
        if frameWeight > 0 {
            let gain = frameWeight / (min(totalWeight, settings.maximumWeight) + frameWeight)
            for index in 0..<mean.count {
                mean[index] += gain * (identity[index] - mean[index])
            }
            totalWeight = min(totalWeight + frameWeight, settings.maximumWeight)
        }
    }

    /// Forgets the person (a new track starts).
    public mutating func reset() {
        for index in 0..<mean.count { mean[index] = 0 }
        totalWeight = 0
    }
}
