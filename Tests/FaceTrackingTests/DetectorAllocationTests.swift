import CMallocCounter
import FaceTracking
import Foundation
import TestSupport
import Testing
import VideoIngest

/// Steady-state detection reuses its buffers: a frame without a face allocates nothing; a frame with one
/// allocates only for the returned detections and their merging (a few dozen small blocks).
struct DetectorAllocationTests {
    @Test("a faceless frame allocates nothing once the detector has seen its size, in every second-look view")
    func facelessFramesAllocateNothing() throws {
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        let blank = DetectorFixtures.frame(width: 640, height: 480) { _, _ in SIMD3(repeating: 90) }
        _ = try detector.detect(in: blank)   // makes the tables for 640×480
        let views = FaceTracker.secondLooks
        var found = 0
        let before = cmalloccounter_thread_allocations()
        for _ in 0..<3 { found += try detector.detect(in: blank).count }
        // By index: a for-in over the array itself allocates its iterator's state in a debug build.
        for index in 0..<views.count { found += try detector.detect(in: blank, view: views[index]).count }
        #expect(cmalloccounter_thread_allocations() - before == 0, "allocations in 3 faceless frames and the second looks")
        #expect(found == 0)
    }

    @Test("detection on a frame with a face allocates only for its results",
          .enabled(if: Repository.hasSharedData("aflw2000-3d"), "needs ../shared/data/aflw2000-3d (third-party data)"))
    func detectionWithAFaceAllocatesLittle() throws {
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        let folder = Repository.sharedData.appendingPathComponent("aflw2000-3d")
        let face = try #require(try FFmpegSource(input: folder.appendingPathComponent("images/image00002.jpg").path).nextFrame())
        _ = try detector.detect(in: face)
        let before = cmalloccounter_thread_allocations()
        let faces = try detector.detect(in: face)
        let allocations = cmalloccounter_thread_allocations() - before
        print("detect on a frame with \(faces.count) face: \(allocations) heap allocations")
        #expect(faces.count == 1)
        #expect(allocations < 100)
    }
}

/// Cutting a crop into a reused buffer allocates nothing.
struct CropAllocationTests {
    @Test("crop allocates nothing")
    func cropAllocatesNothing() {
        let cropper = FaceCropper(size: 128, normalisation: CropTests.regressorNormalisation)
        let frame = DetectorFixtures.frame(width: 320, height: 240) { x, y in SIMD3(UInt8(x % 256), UInt8(y), 3) }
        var crop = [Float](repeating: 0, count: cropper.elementCount)
        let transform = cropper.transform(for: CropRegion(centre: SIMD2(160, 120), side: 150, rotation: 0.2))
        cropper.crop(frame, transform: transform, into: &crop)
        let before = cmalloccounter_thread_allocations()
        for _ in 0..<3 { cropper.crop(frame, transform: transform, into: &crop) }
        #expect(cmalloccounter_thread_allocations() - before == 0)
    }
}

/// Frames on which the detector does not run cost the tracking logic no allocation.
struct TrackStateAllocationTests {
    @Test("frames between detections allocate nothing")
    func framesBetweenDetectionsAllocateNothing() throws {
        var state = try TrackState(configuration: TrackerConfiguration(detectionInterval: 10, maximumUnseenFrames: 20))
        let face = FaceDetection(box: BoundingBox(minimum: SIMD2(10, 10), maximum: SIMD2(90, 90)), score: 0.9, keypoints: [])
        state.advance(frame: 0, detections: [face])
        state.advance(frame: 1, detections: [face])
        var runs = 0
        let before = cmalloccounter_thread_allocations()
        for frame in 2..<10 {
            if state.needsDetection(frame: frame) { runs += 1 }
            state.advance(frame: frame, detections: nil)
        }
        #expect(cmalloccounter_thread_allocations() - before == 0)
        #expect(runs == 0)
        #expect(state.tracks.count == 1)
    }
}
