import VideoIngest

/// Follows faces through a video: runs the detector when `TrackState` says so (every N frames, when a track's
/// confidence falls, or while no face is tracked), keeps an id per face, and says where each face's crop goes.
/// The regressor's landmarks come back through `observe`, and the next crop follows them. One per stream;
/// not thread-safe.
public final class FaceTracker {
    /// The tracking logic and its tracks.
    public private(set) var state: TrackState
    /// Number of frames on which the detector ran.
    public private(set) var detectorRuns = 0
    private let detector: any FaceDetecting

    /// A tracker using `detector`; throws when the configuration cannot work.
    public init(detector: any FaceDetecting, configuration: TrackerConfiguration = TrackerConfiguration()) throws(FaceTrackingError) {
        self.detector = detector
        state = try TrackState(configuration: configuration)
    }

    /// Live tracks after the last `process`.
    public var tracks: [FaceTrack] { state.tracks }

    /// Takes the next frame: detects if due, updates and ends tracks; returns the live tracks.
    @discardableResult
    public func process(_ frame: VideoFrame) throws(FaceTrackingError) -> [FaceTrack] {
        var detections: [FaceDetection]?
        if state.needsDetection(frame: frame.index) {
            detections = try detector.detect(in: frame)
            detectorRuns += 1
        }
        state.advance(frame: frame.index, detections: detections)
        return state.tracks
    }

    /// The regressor's landmarks (image pixels) and confidence for track `id` on frame `frame`; see `TrackState.observe`.
    @discardableResult
    public func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>], confidence: Float) -> Bool {
        state.observe(id: id, frame: frame, landmarks: landmarks, confidence: confidence)
    }

    /// Asks for a detector run on the next frame.
    public func requestDetection() {
        state.requestDetection()
    }
}
