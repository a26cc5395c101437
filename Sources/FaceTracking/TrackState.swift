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
    /// Tracks that ended at the last `advance`, for consumers that keep per-track state (smoothers).
    public private(set) var endedTracks: [FaceTrack] = []
    private var lastDetectionFrame: Int?
    private var detectionRequested = false
    private var nextID = 1

    /// An empty state; throws when the configuration cannot work.
    public init(configuration: TrackerConfiguration = TrackerConfiguration()) throws(FaceTrackingError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Whether the detector must run on frame `frame`: no face is tracked (a face may enter at any time),
    /// a candidate awaits confirmation, the interval is up, a track's confidence fell, or a run was requested.
    public func needsDetection(frame: Int) -> Bool {
        guard let lastDetectionFrame else { return true }
        return tracks.isEmpty || !candidates.isEmpty || detectionRequested
            || frame - lastDetectionFrame >= configuration.detectionInterval
            || tracks.contains { $0.confidence < configuration.minimumConfidence }
    }

    /// Asks for a detector run on the next frame (e.g. after a scene cut).
    public mutating func requestDetection() {
        detectionRequested = true
    }

    /// Moves to frame `frame`. `detections` are the detector's faces on it (nil when it did not run): each
    /// continues the unmatched track it overlaps most (IoU ≥ `matchingOverlap`, best pairs first) or, scoring at
    /// least `minimumNewFaceScore`, begins a candidate. A candidate is confirmed, and given the next id, when the
    /// detector finds it again on the next frame with such a score (it runs at once to check), and dropped
    /// otherwise: a single false detection, or a run of weak ones, begins no track.
    /// Then tracks unseen for `maximumUnseenFrames` end (listed in `endedTracks`).
    public mutating func advance(frame: Int, detections: [FaceDetection]?) {
        if let detections {
            match(detections, frame: frame)
        }
        let limit = configuration.maximumUnseenFrames
        if tracks.contains(where: { $0.unseenFrames(at: frame) >= limit }) {
            endedTracks = tracks.filter { $0.unseenFrames(at: frame) >= limit }
            tracks.removeAll { $0.unseenFrames(at: frame) >= limit }
        } else if !endedTracks.isEmpty {
            endedTracks.removeAll(keepingCapacity: true)
        }
    }

    /// Continues tracks and candidates with the detections on `frame`; unmatched candidates are dropped,
    /// unmatched detections strong enough for a new face become candidates.
    private mutating func match(_ detections: [FaceDetection], frame: Int) {
        var tracks = self.tracks + candidates
        lastDetectionFrame = frame
        detectionRequested = false
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
        self.tracks = tracks.filter(\.isConfirmed)
        candidates = detections.indices
            .filter { !detectionTaken[$0] && detections[$0].score >= configuration.minimumNewFaceScore }
            .map { FaceTrack(candidate: detections[$0], frame: frame) }
    }

    /// The regressor's result for track `id` on frame `frame`: its landmarks (image pixels) become the track's
    /// box and the next crop follows them; with `confidence` below the minimum the face counts as unseen and
    /// the detector runs next. Returns false when no such track lives.
    @discardableResult
    public mutating func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>], confidence: Float) -> Bool {
        guard let index = tracks.firstIndex(where: { $0.id == id }) else { return false }
        tracks[index].confidence = confidence
        guard confidence >= configuration.minimumConfidence, var minimum = landmarks.first else { return true }
        var maximum = minimum
        for point in landmarks {
            minimum = pointwiseMin(minimum, point)
            maximum = pointwiseMax(maximum, point)
        }
        tracks[index].landmarks = landmarks
        tracks[index].followsLandmarks = true
        tracks[index].box = BoundingBox(minimum: minimum, maximum: maximum)
        tracks[index].lastSeenFrame = frame
        return true
    }
}
