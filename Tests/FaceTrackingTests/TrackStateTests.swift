import FaceTracking
import Testing

/// The tracking logic driven with detections given as values: ids, matching, detector scheduling, track ends.
/// Without a face score and with `instantNewFaceScore` 1, every new face waits for its second detection.
struct TrackStateTests {
    private func face(_ x: Float, _ y: Float, side: Float = 100, score: Float = 0.9) -> FaceDetection {
        FaceDetection(box: BoundingBox(minimum: SIMD2(x, y), maximum: SIMD2(x + side, y + side)), score: score, keypoints: [])
    }

    @Test("detector runs every n frames and while nothing is tracked")
    func detectorRunsEveryNFramesAndWhileNothingIsTracked() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 5, maximumUnseenFrames: 8, instantNewFaceScore: 1))
        var runs: [Int] = []
        for frame in 0..<12 {
            let detect = state.needsDetection(frame: frame)
            if detect { runs.append(frame) }
            // No face until frame 2.
            state.advance(frame: frame, detections: detect ? (frame < 2 ? [] : [face(10, 10)]) : nil)
        }
        // Nothing on 0 and 1; found on 2, confirmed on 3; then every 5 frames.
        #expect(runs == [0, 1, 2, 3, 8])
        #expect(state.tracks.map(\.id) == [1])
    }

    @Test("moving faces keep their ids and a new face gets a new one")
    func movingFacesKeepTheirIdsAndANewFaceGetsANewOne() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 1, maximumUnseenFrames: 3, instantNewFaceScore: 1))
        state.advance(frame: 0, detections: [face(0, 0), face(300, 0)])
        #expect(state.tracks.map(\.id) == [], "candidates until found again")
        state.advance(frame: 1, detections: [face(0, 0), face(300, 0)])
        #expect(state.tracks.map(\.id) == [1, 2])
        // Both move 20 px; listed in the other order; a third face appears and is confirmed on the next frame.
        state.advance(frame: 2, detections: [face(320, 5), face(600, 0), face(20, 5)])
        #expect(state.tracks.map(\.id) == [1, 2])
        state.advance(frame: 3, detections: [face(320, 5), face(600, 0), face(20, 5)])
        #expect(state.tracks.map(\.id) == [1, 2, 3])
        #expect(state.tracks[0].box.minimum == SIMD2(20, 5))
        #expect(state.tracks[1].box.minimum == SIMD2(320, 5))
        #expect(state.tracks[2].box.minimum == SIMD2(600, 0))
    }

    @Test("track ends after m unseen frames")
    func trackEndsAfterMUnseenFrames() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 1, maximumUnseenFrames: 3, instantNewFaceScore: 1))
        state.advance(frame: 0, detections: [face(0, 0), face(300, 0)])
        state.advance(frame: 1, detections: [face(0, 0), face(300, 0)])
        for frame in 2...3 {
            state.advance(frame: frame, detections: [face(300, 0)])
            #expect(state.tracks.map(\.id) == [1, 2], "frame \(frame)")
        }
        state.advance(frame: 4, detections: [face(300, 0)])
        #expect(state.tracks.map(\.id) == [2])
        // Coming back later is a new face.
        state.advance(frame: 5, detections: [face(300, 0), face(0, 0)])
        state.advance(frame: 6, detections: [face(300, 0), face(0, 0)])
        #expect(state.tracks.map(\.id) == [2, 3])
    }

    @Test("a single false detection begins no track")
    func aSingleFalseDetectionBeginsNoTrack() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 10, maximumUnseenFrames: 10, instantNewFaceScore: 1))
        state.advance(frame: 0, detections: [face(0, 0)])
        state.advance(frame: 1, detections: [face(0, 0)])
        #expect(!(state.needsDetection(frame: 2)))
        state.advance(frame: 2, detections: [face(0, 0), face(500, 500, score: 0.9)])
        #expect(state.needsDetection(frame: 3), "the candidate is checked at once")
        state.advance(frame: 3, detections: [face(0, 0)])
        #expect(state.tracks.map(\.id) == [1])
        #expect(!(state.needsDetection(frame: 4)))
    }

    @Test("weak detections begin no track but continue one")
    func weakDetectionsBeginNoTrackButContinueOne() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 1, maximumUnseenFrames: 3,
                                                                       minimumNewFaceScore: 0.7, instantNewFaceScore: 1))
        // A background patch the detector keeps finding at 0.55, beside a real face.
        for frame in 0..<6 {
            state.advance(frame: frame, detections: [face(0, 0), face(500, 500, score: 0.55)])
        }
        #expect(state.tracks.map(\.id) == [1])
        // The tracked face, now half covered, scores 0.55 for longer than the track-loss limit: still the same track.
        for frame in 6..<12 {
            state.advance(frame: frame, detections: [face(5, 0, score: 0.55)])
        }
        #expect(state.tracks.map(\.id) == [1])
        #expect(state.tracks[0].lastSeenFrame == 11)
        // A strong first sighting confirmed only by a weak one begins no track either.
        state.advance(frame: 12, detections: [face(5, 0), face(300, 0, score: 0.9)])
        state.advance(frame: 13, detections: [face(5, 0), face(300, 0, score: 0.6)])
        state.advance(frame: 14, detections: [face(5, 0), face(300, 0, score: 0.6)])
        #expect(state.tracks.map(\.id) == [1])
        state.advance(frame: 15, detections: [face(5, 0), face(300, 0, score: 0.8)])
        state.advance(frame: 16, detections: [face(5, 0), face(300, 0, score: 0.8)])
        #expect(state.tracks.map(\.id) == [1, 2])
    }

    @Test("regressor landmarks move the crop and low confidence calls the detector")
    func regressorLandmarksMoveTheCropAndLowConfidenceCallsTheDetector() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 10, maximumUnseenFrames: 10, instantNewFaceScore: 1))
        state.advance(frame: -1, detections: [face(100, 100)])
        state.advance(frame: 0, detections: [face(100, 100)])
        let framing = CropFramings(landmarks: CropFraming(sideScale: 2, centreShift: .zero),
                                   detection: CropFraming(sideScale: 1.5, centreShift: .zero))
        #expect(state.tracks[0].cropRegion(framing: framing).side == 150)
        // The regressor sees the face moved to a 60-px landmark box around (200, 180).
        let landmarks: [SIMD2<Float>] = [SIMD2(170, 150), SIMD2(230, 210), SIMD2(200, 190)]
        let observed = state.observe(id: 1, frame: 1, landmarks: landmarks, confidence: 0.9)
        #expect(observed)
        state.advance(frame: 1, detections: nil)
        let region = state.tracks[0].cropRegion(framing: framing)
        #expect(region.centre == SIMD2(200, 180))
        #expect(region.side == 120)
        #expect(!(state.needsDetection(frame: 2)))
        // Confidence falls: not seen, and the detector runs on the next frame.
        state.observe(id: 1, frame: 2, landmarks: landmarks, confidence: 0.2)
        state.advance(frame: 2, detections: nil)
        #expect(state.tracks[0].lastSeenFrame == 1)
        #expect(state.needsDetection(frame: 3))
        let unknown = state.observe(id: 7, frame: 2, landmarks: landmarks, confidence: 1)
        #expect(!unknown)
    }

    @Test("impossible settings are refused")
    func impossibleSettingsAreRefused() {
        #expect {
            try TrackState(configuration: TrackerConfiguration(detectionInterval: 10, maximumUnseenFrames: 5, instantNewFaceScore: 1))
        } throws: { error in
            "\(error)".contains("before the next detection")
        }
        #expect(throws: FaceTrackingError.self) { try TrackState(configuration: TrackerConfiguration(detectionInterval: 0, instantNewFaceScore: 1)) }
    }
}
