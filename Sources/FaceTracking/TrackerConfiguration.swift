/// When the tracker runs the detector, how a new face becomes a track and how long it keeps a face it no longer sees.
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
    /// Without a face score, a new face needs detections scoring at least this (on the frame it appears and the
    /// next) to become a track; weaker detections only continue existing tracks. Real faces score 0.83 and up
    /// on the sample clips while background false positives reach 0.55, so 0.7 keeps them from becoming tracks
    /// without losing a face that turns or is covered once tracked.
    public var minimumNewFaceScore: Float
    /// Without a face score, a detection scoring at least this becomes a track on the frame it first appears,
    /// so a face present from the first frame is reported from the first frame. 1 turns it off (every new
    /// face then waits for its second detection). Real faces score 0.83 and up on the sample clips, background
    /// up to 0.553.
    public var instantNewFaceScore: Float
    /// With a face score (a regressor that has the `face` output): an unmatched detection becomes a track at
    /// once when the regressor, run on its crop, gives at least this; below it the detection is background,
    /// whatever the detector's score. 0.8 passes 0.4 % of face-free crops and 99 % of the heavily covered faces
    /// that 0.5 passes (docs/face-tracking.md).
    public var minimumFaceScore: Float
    /// With a face score: a track ends when its face score, averaged over its observations (each new one
    /// weighing half), falls below this; above it the track counts as seen, however much of the face is
    /// hidden. At most `minimumFaceScore`.
    public var lostFaceScore: Float
    /// Frames between two tries of the fallbacks when the detector finds nothing: the detector on other views of the
    /// frame (`FaceTracker.secondLooks`), then the fallback (full-range) detector; 0 never tries them. The first detector run that finds
    /// nothing always tries them.
    public var fallbackInterval: Int
    /// Whether the fallbacks end with the detector on tiles of the frame (`tileGrid`, `FaceTracker.lookInTiles`),
    /// where a small face is seen larger than in the whole frame. On by default since session 25: with the default
    /// bar it found 70 more of the 559 heavily covered validation faces put small into whole pictures, for 5 more of
    /// 1,363 background images (docs/face-tracking.md, "Session 25").
    public var tiledLook: Bool
    /// With a face score: the score a face found in a tile needs to become a track or be reported, at least
    /// `minimumFaceScore` (below it, `minimumFaceScore` counts). A frame with nothing in it gets `tileGrid`² more
    /// detector runs, so background gets more chances than a face already found in the frame: 0.95 is the lowest
    /// bar of 0.8, 0.9, 0.95 and 0.98 that let no more than 5 more background images through (with the four corners).
    public var tiledMinimumFaceScore: Float
    /// With `tiledLook`: tiles per row and per column (2…4), their origins spread evenly from the frame's left and
    /// top edges to its right and bottom. 2 is the four corners; 3 adds the middles of the edges and the centre, so
    /// a face up to 0.4 of the frame across (the neighbours' overlap) lies whole in one tile wherever it is, for nine
    /// detector runs. 3 by default since session 26: 15 more of 559 heavily covered validation faces in whole
    /// pictures than 2, no more background (docs/face-tracking.md, "Session 26").
    public var tileGrid: Int

    /// A configuration; the defaults suit 25–30 fps video.
    public init(detectionInterval: Int = 10, maximumUnseenFrames: Int = 15, minimumConfidence: Float = 0.5,
                matchingOverlap: Float = 0.3, minimumNewFaceScore: Float = 0.7, instantNewFaceScore: Float = 0.8,
                minimumFaceScore: Float = 0.8, lostFaceScore: Float = 0.3, fallbackInterval: Int = 10,
                tiledLook: Bool = true, tiledMinimumFaceScore: Float = 0.95, tileGrid: Int = 3) {
        self.detectionInterval = detectionInterval
        self.maximumUnseenFrames = maximumUnseenFrames
        self.minimumConfidence = minimumConfidence
        self.matchingOverlap = matchingOverlap
        self.minimumNewFaceScore = minimumNewFaceScore
        self.instantNewFaceScore = instantNewFaceScore
        self.minimumFaceScore = minimumFaceScore
        self.lostFaceScore = lostFaceScore
        self.fallbackInterval = fallbackInterval
        self.tiledLook = tiledLook
        self.tiledMinimumFaceScore = tiledMinimumFaceScore
        self.tileGrid = tileGrid
    }

    /// The tile grids `lookInTiles` supports: one tile per row would be the whole frame again, and beyond four a
    /// frame with nothing in it costs more detector runs than the search is worth.
    public static let tileGrids: ClosedRange<Int> = 2...4

    /// The face score a face found only in a tile needs: never less than a face found in the whole frame needs.
    public var tiledFaceScoreBar: Float { max(minimumFaceScore, tiledMinimumFaceScore) }

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
        guard lostFaceScore >= 0, lostFaceScore <= minimumFaceScore, minimumFaceScore <= 1 else {
            throw .invalidTrackerConfiguration(reason: "lost face score \(lostFaceScore) and minimum face score \(minimumFaceScore) "
                                               + "must satisfy 0 ≤ lost ≤ minimum ≤ 1")
        }
        guard fallbackInterval >= 0 else {
            throw .invalidTrackerConfiguration(reason: "fallback interval \(fallbackInterval) must not be negative")
        }
        guard tiledMinimumFaceScore >= 0, tiledMinimumFaceScore <= 1 else {
            throw .invalidTrackerConfiguration(reason: "tiled minimum face score \(tiledMinimumFaceScore) must lie in [0, 1]")
        }
        guard Self.tileGrids.contains(tileGrid) else {
            throw .invalidTrackerConfiguration(reason: "tile grid \(tileGrid) must lie in \(Self.tileGrids)")
        }
    }
}
