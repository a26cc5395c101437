/// When the tracker runs the detector and how long it keeps a face it no longer sees.
public struct TrackerConfiguration: Sendable, Equatable {
    /// N: the detector runs at least every this many frames (and every frame while no face is tracked),
    /// so a face entering beside tracked ones waits at most N − 1 frames.
    public var detectionInterval: Int
    /// M: a track ends once it has gone this many consecutive frames without being seen (by the detector,
    /// or by the regressor with enough confidence). At least `detectionInterval`, or tracks would end
    /// between two detector runs when no regressor confirms them.
    public var maximumUnseenFrames: Int
    /// A track whose confidence falls below this is not counted as seen and makes the detector run on the next frame.
    public var minimumConfidence: Float
    /// A detection continues a track when its box overlaps the track's box by at least this IoU.
    public var matchingOverlap: Float
    /// A new face needs detections scoring at least this (on the frame it appears and the next) to become a
    /// track; weaker detections only continue existing tracks. Real faces score 0.83 and up on the sample
    /// clips while background false positives reach 0.55, so 0.7 keeps them from becoming tracks without
    /// losing a face that turns or is covered once tracked.
    public var minimumNewFaceScore: Float

    /// A configuration; the defaults suit 25–30 fps video.
    public init(detectionInterval: Int = 10, maximumUnseenFrames: Int = 15, minimumConfidence: Float = 0.5,
                matchingOverlap: Float = 0.3, minimumNewFaceScore: Float = 0.7) {
        self.detectionInterval = detectionInterval
        self.maximumUnseenFrames = maximumUnseenFrames
        self.minimumConfidence = minimumConfidence
        self.matchingOverlap = matchingOverlap
        self.minimumNewFaceScore = minimumNewFaceScore
    }

    /// Throws when the settings cannot work together.
    public func validate() throws(FaceTrackingError) {
        guard detectionInterval >= 1 else {
            throw .invalidTrackerConfiguration(reason: "detection interval \(detectionInterval) must be at least 1 frame")
        }
        guard maximumUnseenFrames >= detectionInterval else {
            throw .invalidTrackerConfiguration(reason: "tracks would end after \(maximumUnseenFrames) unseen frames, "
                                               + "before the next detection \(detectionInterval) frames on")
        }
        guard matchingOverlap > 0, matchingOverlap <= 1 else {
            throw .invalidTrackerConfiguration(reason: "matching overlap \(matchingOverlap) must lie in (0, 1]")
        }
    }
}
