import VideoIngest

/// Says whether a detection holds a face, from more than the detector's score: the daemon runs the ORN
/// regressor on the detection's crop and reads its face score. The tracker depends on this seam, not on the regressor.
public protocol FaceVerifying: AnyObject {
    /// The probability that `detection`'s crop in `frame` holds a face (occluded or turned ones too), or nil
    /// when this verifier cannot tell (a regressor without the `face` output).
    func faceScore(of detection: FaceDetection, in frame: VideoFrame) throws(FaceTrackingError) -> Float?
}

/// Follows faces through a video: runs the detector when `TrackState` says so (every N frames, when a track's
/// confidence falls, or while no face is tracked), keeps an id per face, and says where each face's crop goes.
/// When the detector finds nothing on a frame it ran on, it looks again at other views of the frame (`secondLooks`:
/// the mirror image, then the frame tilted either way; occluded, turned and tilted faces it misses one way round it
/// often finds another), then a fallback detector (the full-range BlazeFace, for small and far faces) is tried, then
/// the detector on tiles of the frame (`lookInTiles`, where a small face is seen larger); all at most every
/// `fallbackInterval` frames. New faces are confirmed by the verifier's face score where it has one.
/// The regressor's landmarks come back through `observe`, and the next crop follows them. One per stream; not
/// thread-safe.
public final class FaceTracker {
    /// The tracking logic and its tracks.
    public private(set) var state: TrackState
    /// Number of frames on which the detector ran.
    public private(set) var detectorRuns = 0
    /// Number of detector runs on the second looks' views (`secondLooks`).
    public private(set) var secondLookRuns = 0
    /// Number of frames on which the fallback detector ran.
    public private(set) var fallbackRuns = 0
    /// Number of detector runs on the frame's tiles (`lookInTiles`).
    public private(set) var tileRuns = 0
    /// Number of detections the verifier was asked about.
    public private(set) var verifications = 0
    private let detector: any FaceDetecting
    private let fallbackDetector: (any FaceDetecting)?
    private let verifier: (any FaceVerifying)?
    private var lastFallbackFrame: Int?

    /// The views the detector looks at again, in order, where the upright frame gave nothing: the mirror image, then
    /// the frame tilted 20° each way. Chosen on the validation split (`python -m orn.detector validate`, its
    /// `either_way` and `any_view` columns: heavily occluded faces found at a detector score of 0.5 upright or
    /// mirrored 94.6 %, in any of these views 96.2 %; held-out occluder families 94.1 → 96.2 %; docs/face-tracking.md).
    public static let secondLooks: [DetectorView] = [.mirror, .rotated(by: 20 * Float.pi / 180),
                                                      .rotated(by: -20 * Float.pi / 180)]

    /// A tracker using `detector`, trying `fallbackDetector` where it finds nothing and confirming new faces with
    /// `verifier`; throws when the configuration cannot work.
    public init(detector: any FaceDetecting, fallbackDetector: (any FaceDetecting)? = nil, verifier: (any FaceVerifying)? = nil,
                configuration: TrackerConfiguration = TrackerConfiguration()) throws(FaceTrackingError) {
        self.detector = detector
        self.fallbackDetector = fallbackDetector
        self.verifier = verifier
        state = try TrackState(configuration: configuration)
    }

    /// Live tracks after the last `process`.
    public var tracks: [FaceTrack] { state.tracks }

    /// Takes the next frame: detects if due (when the detector finds nothing and a try is due, with the detector on
    /// the second looks' views, then the fallback detector, then the tiles), updates and ends tracks; returns the
    /// live tracks.
    @discardableResult
    public func process(_ frame: VideoFrame) throws(FaceTrackingError) -> [FaceTrack] {
        var detections: [FaceDetection]?
        var faceScoreBar = state.configuration.minimumFaceScore
        if state.needsDetection(frame: frame.index) {
            var found = try detector.detect(in: frame)
            detectorRuns += 1
            if found.isEmpty, fallbackDue(frame: frame.index) {
                lastFallbackFrame = frame.index
                (found, faceScoreBar) = try lookAgain(in: frame)
            }
            detections = found
        }
        try state.advance(frame: frame.index, detections: detections, faceScoreBar: faceScoreBar) {
            detection throws(FaceTrackingError) -> Float? in
            guard let verifier else { return nil }
            verifications += 1
            return try verifier.faceScore(of: detection, in: frame)
        }
        return state.tracks
    }

    /// The fallbacks, for a frame on which the detector found nothing: the detector on each of `secondLooks` until
    /// one finds a face, then (if none does) the fallback detector, then (if that finds none either) the tiles
    /// (`lookInTiles`); each run counted. Returns what the first of them that found anything found, and the face
    /// score a new face among it needs: `minimumFaceScore`, or for faces found only in the tiles `tiledFaceScoreBar`.
    /// `process` calls it on the `fallbackInterval` schedule; a still image, having no next frame, calls it whenever
    /// the detector finds nothing.
    public func lookAgain(in frame: VideoFrame) throws(FaceTrackingError) -> (detections: [FaceDetection], faceScoreBar: Float) {
        let configuration = state.configuration
        for view in Self.secondLooks {
            secondLookRuns += 1
            let found = try detector.detect(in: frame, view: view)
            if !found.isEmpty { return (found, configuration.minimumFaceScore) }
        }
        if let fallbackDetector {
            fallbackRuns += 1
            let found = try fallbackDetector.detect(in: frame)
            if !found.isEmpty { return (found, configuration.minimumFaceScore) }
        }
        return (try lookInTiles(frame), configuration.tiledFaceScoreBar)
    }

    /// The last fallback, with `TrackerConfiguration.tiledLook`, for a frame on which nothing else found a face: the
    /// detector on each rectangle of `tileFraction` of the frame's width and height in a `tileGrid` × `tileGrid`
    /// grid spread from edge to edge (2: the four corners), its faces mapped back onto the frame, those that two
    /// tiles both found counted once (the better one; a face cut off at one tile's inner edge and whole in the next is
    /// one face when half the smaller box lies in the other). The detector sees the whole frame shrunk to its input,
    /// so a small face (a person further off, a face a fifth of a photo) falls below the sizes it finds reliably; in
    /// a tile it is seen 1 / `tileFraction` times as large. Each run counted.
    public func lookInTiles(_ frame: VideoFrame) throws(FaceTrackingError) -> [FaceDetection] {
        guard state.configuration.tiledLook else { return [] }
        let tileWidth = Int((Float(frame.width) * Self.tileFraction).rounded())
        let tileHeight = Int((Float(frame.height) * Self.tileFraction).rounded())
        guard tileWidth >= 1, tileHeight >= 1 else { return [] }
        let grid = state.configuration.tileGrid
        let lefts = Self.spread(grid, over: frame.width - tileWidth)
        let tops = Self.spread(grid, over: frame.height - tileHeight)
        var found: [FaceDetection] = [], origins: [SIMD2<Int>] = []
        for top in tops {
            for left in lefts where !origins.contains(SIMD2(left, top)) {
                origins.append(SIMD2(left, top))  // a frame a pixel or two across has fewer distinct tiles
                tileRuns += 1
                let tile = frame.tile(x: left, y: top, width: tileWidth, height: tileHeight)
                let offset = SIMD2<Float>(Float(left), Float(top))
                for detection in try detector.detect(in: tile) {
                    found.append(FaceDetection(box: BoundingBox(minimum: detection.box.minimum + offset,
                                                                maximum: detection.box.maximum + offset),
                                               score: detection.score, keypoints: detection.keypoints.map { $0 + offset }))
                }
            }
        }
        var kept: [FaceDetection] = []
        for detection in found.sorted(by: { $0.score > $1.score })
        where !kept.contains(where: { $0.box.overlapOfSmaller(detection.box) > 0.5 }) {
            kept.append(detection)
        }
        return kept
    }

    /// The share of the frame's width and height each tile of `lookInTiles` covers.
    public static let tileFraction: Float = 0.6

    /// `count` origins from 0 to `room` (the frame's size less the tile's), evenly spaced and rounded.
    private static func spread(_ count: Int, over room: Int) -> [Int] {
        (0..<count).map { Int((Float(room) * Float($0) / Float(count - 1)).rounded()) }
    }

    /// Whether the fallbacks may run on `frame`: never tried yet, or `fallbackInterval` frames since.
    private func fallbackDue(frame: Int) -> Bool {
        let interval = state.configuration.fallbackInterval
        guard interval > 0 else { return false }
        guard let lastFallbackFrame else { return true }
        return frame - lastFallbackFrame >= interval || frame < lastFallbackFrame
    }

    /// The regressor's landmarks (image pixels) and confidence for track `id` on frame `frame`; see `TrackState.observe`.
    @discardableResult
    public func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>], confidence: Float) -> Bool {
        state.observe(id: id, frame: frame, landmarks: landmarks, confidence: confidence)
    }

    /// The regressor's landmarks (nil: the crop stays where it is), confidence and face score for track `id` on
    /// frame `frame`; see `TrackState.observe(id:frame:landmarks:confidence:faceScore:)`.
    @discardableResult
    public func observe(id: Int, frame: Int, landmarks: [SIMD2<Float>]?, confidence: Float, faceScore: Float?) -> Bool {
        state.observe(id: id, frame: frame, landmarks: landmarks, confidence: confidence, faceScore: faceScore)
    }
}

extension VideoFrame {
    /// The rectangle of `width × height` pixels at (`x`, `y`) as a frame of its own (its pixels copied, rows
    /// packed), with this frame's index and times; the rectangle is clipped to the frame.
    func tile(x: Int, y: Int, width: Int, height: Int) -> VideoFrame {
        let left = min(max(0, x), self.width), top = min(max(0, y), self.height)
        let columns = min(width, self.width - left), rows = min(height, self.height - top)
        var pixels = [UInt8]()
        pixels.reserveCapacity(columns * rows * 3)
        for row in top..<(top + rows) {
            let start = row * bytesPerRow + left * 3
            pixels.append(contentsOf: self.pixels[start..<(start + columns * 3)])
        }
        return VideoFrame(index: index, presentationTime: presentationTime, captureTime: captureTime, width: columns,
                          height: rows, layout: layout, bytesPerRow: columns * 3, pixels: pixels)
    }
}
