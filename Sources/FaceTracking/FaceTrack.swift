/// One face followed from frame to frame: it keeps its `id` while it is seen.
public struct FaceTrack: Sendable, Equatable, Identifiable {
    /// Stable identity of the face within one tracker, counting from 1 (0 while a candidate).
    public private(set) var id: Int
    /// The last face box (image pixels): from the detector, or the box of the regressor's landmarks.
    public var box: BoundingBox
    /// The regressor's landmarks of the last frame it observed this face (image pixels); nil until then.
    public var landmarks: [SIMD2<Float>]?
    /// Whether the landmarks are newer than the detector's box, so the crop follows them.
    public var followsLandmarks: Bool
    /// Confidence of the last observation: the detector's score or the regressor's.
    public var confidence: Float
    /// Frame index at which the track began.
    public let firstFrame: Int
    /// Frame index of the last observation.
    public var lastSeenFrame: Int
    /// The regressor's face score for this face, averaged over its observations (each new one weighing half);
    /// nil while no face score is known (a regressor without the `face` output).
    public var faceScore: Float?
    /// Whether the face score says the face is gone: the track ends at the next `TrackState.advance`.
    public var isLost = false

    /// Whether the face was confirmed (found twice, found strongly once, or vouched for by the face score),
    /// so that it is a track and not a candidate.
    public var isConfirmed: Bool { id > 0 }

    /// A candidate begun by a detection, with the face score of its crop when known.
    init(candidate detection: FaceDetection, frame: Int, faceScore: Float? = nil) {
        id = 0
        box = detection.box
        landmarks = nil
        followsLandmarks = false
        confidence = detection.score
        firstFrame = frame
        lastSeenFrame = frame
        self.faceScore = faceScore
    }

    /// Makes a candidate a track with its id.
    mutating func confirm(id: Int) {
        self.id = id
    }

    /// Frames since the last observation, as of `frame`.
    public func unseenFrames(at frame: Int) -> Int { frame - lastSeenFrame }

    /// Where to cut the crop for the next frame: framed on the landmarks when they are the newest
    /// observation (as 3DDFA_V2 does in video), on the detector's box otherwise.
    public func cropRegion(framing: CropFramings) -> CropRegion {
        if followsLandmarks, let landmarks, let region = framing.region(landmarks: landmarks) { return region }
        return framing.region(detection: box)
    }
}
