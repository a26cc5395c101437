/// The tracking logic, apart from any network: which tracks exist, whether the detector must run on a frame,
/// how detections continue tracks or begin new ones, and when tracks end. `FaceTracker` drives it with a
/// detector; the regressor's results come in through `observe`.
public struct TrackState: Sendable {
    /// The settings.
    public let configuration: TrackerConfiguration
    /// Live, confirmed tracks, oldest first.
    public private(set) var tracks: [FaceTrack] = []
    /// Faces the detector found once, awaiting its next run to become tracks.
    private var candidates: [FaceTrack] = []
    private var lastDetectionFrame: Int?
    private var nextID = 1

    /// An empty state; throws when the configuration cannot work.
    public init(configuration: TrackerConfiguration = TrackerConfiguration()) throws(FaceTrackingError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Whether the detector must run on frame `frame`: no face is tracked (a face may enter at any time),
    /// a candidate awaits confirmation, the interval is up, a track's confidence fell (unless its face score
    /// vouches for it: an occluded face followed on its landmarks).
    public func needsDetection(frame: Int) -> Bool {
        guard let lastDetectionFrame else { return true }
        return tracks.isEmpty || !candidates.isEmpty
            || frame - lastDetectionFrame >= configuration.detectionInterval
            || tracks.contains { $0.confidence < configuration.minimumConfidence
                && ($0.faceScore.map { $0 < configuration.minimumFaceScore } ?? true) }
    }

    /// Moves to frame `frame` with the detector's faces on it (nil when it did not run); see
    /// `advance(frame:detections:faceScore:)`. Without a face score.
    public mutating func advance(frame: Int, detections: [FaceDetection]?) {
        advance(frame: frame, detections: detections) { _ in nil }
    }

    /// Moves to frame `frame`. `detections` are the detector's faces on it (nil when it did not run): each
    /// continues the unmatched track it overlaps most (IoU ≥ `matchingOverlap`, best pairs first). A detection
    /// that continues none is a new face: `faceScore` is asked for the face score of its crop, and
    ///
    /// - with a score, the detection becomes a track at once when it reaches `faceScoreBar` (nil:
    ///   `minimumFaceScore`; faces only the detector's last fallback found need more) and is dropped
    ///   as background otherwise, whatever the detector's score; a detection whose crop reaches a track's box needs
    ///   `minimumNewFaceScore` from the detector as well (its crop holds part of the tracked face, which the face
    ///   score would vouch for), and is dropped without asking for a face score below it;
    /// - without one (nil), a detection scoring at least `instantNewFaceScore` becomes a track at once, and one
    ///   scoring at least `minimumNewFaceScore` a candidate: confirmed, and given the next id, when the detector
    ///   finds it again on the next frame with such a score (it runs at once to check), dropped otherwise. A
    ///   single weak false detection, or a run of them, begins no track.
    ///
    /// Then tracks unseen for `maximumUnseenFrames`, or whose face score says they are gone, end.
    public mutating func advance<Failure: Error>(frame: Int, detections: [FaceDetection]?, faceScoreBar: Float? = nil,
                                                 faceScore: (FaceDetection) throws(Failure) -> Float?) throws(Failure) {
        if let detections {
            try match(detections, frame: frame, faceScoreBar: faceScoreBar ?? configuration.minimumFaceScore,
                      faceScore: faceScore)
        }
        let limit = configuration.maximumUnseenFrames
        func ends(_ track: FaceTrack) -> Bool { track.isLost || track.unseenFrames(at: frame) >= limit }
        tracks.removeAll(where: ends)
    }

    /// Continues tracks and candidates with the detections on `frame`; unmatched candidates are dropped,
    /// unmatched detections become tracks, candidates or nothing (see `advance`).
    private mutating func match<Failure: Error>(_ detections: [FaceDetection], frame: Int, faceScoreBar: Float,
                                                faceScore: (FaceDetection) throws(Failure) -> Float?) throws(Failure) {
        var tracks = self.tracks + candidates
        lastDetectionFrame = frame
        var pairs: [(overlap: Float, track: Int, detection: Int)] = []
        for (trackIndex, track) in tracks.enumerated() {
            for (detectionIndex, detection) in detections.enumerated()
            where track.isConfirmed || detection.score >= configuration.minimumNewFaceScore {
                let overlap = track.box.intersectionOverUnion(detection.box)
                if overlap >= configuration.matchingOverlap { pairs.append((overlap, trackIndex, detectionIndex)) }
            }
        }
        pairs.sort { $0.overlap > $1.overlap }
        var trackTaken = [Bool](repeating: false, count: tracks.count)
        var detectionTaken = [Bool](repeating: false, count: detections.count)
        for pair in pairs where !trackTaken[pair.track] && !detectionTaken[pair.detection] {
            trackTaken[pair.track] = true
            detectionTaken[pair.detection] = true
            let detection = detections[pair.detection]
            tracks[pair.track].box = detection.box
            tracks[pair.track].followsLandmarks = false
            tracks[pair.track].confidence = detection.score
            tracks[pair.track].lastSeenFrame = frame
        }
        for index in tracks.indices where trackTaken[index] && !tracks[index].isConfirmed {
            tracks[index].confirm(id: nextID)
            nextID += 1
        }
        var confirmed = tracks.filter(\.isConfirmed)
        var candidates: [FaceTrack] = []
        for (index, detection) in detections.enumerated() where !detectionTaken[index] {
            // Beside a tracked face the crop holds part of that face, so its face score vouches for nothing.
            let besideTrack = detection.score < configuration.minimumNewFaceScore
                && confirmed.contains { $0.box.intersects(Self.cropReach(of: detection.box)) }
            if besideTrack { continue }
            if let score = try faceScore(detection) {
                guard score >= faceScoreBar else { continue }
                var track = FaceTrack(candidate: detection, frame: frame, faceScore: score)
                track.confirm(id: nextID)
                nextID += 1
                confirmed.append(track)
            } else if configuration.instantNewFaceScore < 1, detection.score >= configuration.instantNewFaceScore {
                var track = FaceTrack(candidate: detection, frame: frame)
                track.confirm(id: nextID)
                nextID += 1
                confirmed.append(track)
            } else if detection.score >= configuration.minimumNewFaceScore {
                candidates.append(FaceTrack(candidate: detection, frame: frame))
            }
        }
        self.tracks = confirmed
        self.candidates = candidates
    }

    /// The part of the frame a detection's crop can hold: its box grown 1.5 times about its centre (the regressor's
    /// crop is 1.36-1.41 times the box, `CropConvention`'s framing, and may lie lower).
    private static func cropReach(of box: BoundingBox) -> BoundingBox {
        let centre = (box.minimum + box.maximum) / 2, half = (box.maximum - box.minimum) * 0.75
        return BoundingBox(minimum: centre - half, maximum: centre + half)
    }

    /// The regressor's result for track `id` on frame `frame`: its landmarks (image pixels) become the track's
    /// box and the next crop follows them; with `confidence` below the minimum the face counts as unseen and
    /// the detector runs next. Returns false when no such track lives. Without a face score.
    @discardableResult
    public mutating func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>], confidence: Float) -> Bool {
        observe(id: id, frame: frame, landmarks: landmarks, confidence: confidence, faceScore: nil)
    }

    /// The regressor's result for track `id` on frame `frame`. Returns false when no such track lives.
    ///
    /// - Without a face score (nil): with `confidence` at least `minimumConfidence` the face counts as seen and
    ///   `landmarks` (image pixels; nil to leave the crop where it is) become the track's box, so the next crop
    ///   follows them; below it the face counts as unseen and the detector runs next.
    /// - With one: the track's averaged face score takes it in (each new score weighs half). While the average
    ///   is at least `lostFaceScore` the face counts as seen, however low `confidence` (the landmarks'
    ///   visibility) falls, and the crop follows `landmarks`: a face behind an occluder stays tracked. Below it
    ///   the face is gone and the track ends at the next `advance`.
    @discardableResult
    public mutating func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>]?, confidence: Float, faceScore: Float?) -> Bool {
        guard let index = tracks.firstIndex(where: { $0.id == id }) else { return false }
        tracks[index].confidence = confidence
        if let faceScore {
            let average = tracks[index].faceScore.map { 0.5 * $0 + 0.5 * faceScore } ?? faceScore
            tracks[index].faceScore = average
            guard average >= configuration.lostFaceScore else {
                tracks[index].isLost = true
                return true
            }
        } else {
            guard confidence >= configuration.minimumConfidence else { return true }
        }
        tracks[index].lastSeenFrame = frame
        guard let landmarks, var minimum = landmarks.first else { return true }
        var maximum = minimum
        for point in landmarks {
            minimum = pointwiseMin(minimum, point)
            maximum = pointwiseMax(maximum, point)
        }
        tracks[index].landmarks = landmarks
        tracks[index].followsLandmarks = true
        tracks[index].box = BoundingBox(minimum: minimum, maximum: maximum)
        return true
    }
}
