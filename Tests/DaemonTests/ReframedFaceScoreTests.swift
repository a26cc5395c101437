import FaceModel
import FacePipeline
import FaceRegression
import FaceTracking
import Foundation
import Testing
import TestSupport
import VideoIngest

/// The verifier's second look (`RegressorFaceVerifier.Reframing`) with the shipped regressor on a real frame.
@Suite("reframed face score", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct ReframedFaceScoreTests {
    /// d6's first frame with a grey block over the face below `top` (image rows), as a hand or a mask covers it.
    static func coveredFrame(top: Int) throws -> VideoFrame {
        let folder = try Repository.temporaryFolder("reframe")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frame = try #require(try FFmpegSource(input: try TestResources.clip(frames: 1, in: folder)).nextFrame())
        var pixels = frame.pixels
        for row in top..<min(frame.height, 470) {
            for column in 90..<380 {
                for channel in 0..<3 { pixels[row * frame.bytesPerRow + column * 3 + channel] = 128 }
            }
        }
        return VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: frame.width, height: frame.height,
                          layout: frame.layout, bytesPerRow: frame.bytesPerRow, pixels: pixels)
    }

    /// The shipped regressor, a verifier with one look and one with the second look below `threshold`, counting
    /// at `passing`.
    static func verifiers(threshold: Float = 0.8, passing: Float? = nil) throws -> (plain: RegressorFaceVerifier, reframing: RegressorFaceVerifier) {
        let settings = try PipelineTests.settings()
        let models = try PipelineModels(settings: settings)
        let regressor = try FaceRegressor(modelPath: settings.regressorPath, specificationPath: settings.regressorSidecarPath)
        let reframing = RegressorFaceVerifier.Reframing(stage: try RegressionStage(settings: settings, model: models.model),
                                                        framing: models.convention.framing, threshold: threshold,
                                                        passing: passing)
        return (try #require(RegressorFaceVerifier(regressor: regressor)), try #require(RegressorFaceVerifier(reframing: reframing)))
    }

    /// A square detection of half side `half` centred at (`x`, `y`).
    static func detection(_ x: Float, _ y: Float, half: Float) -> FaceDetection {
        FaceDetection(box: BoundingBox(minimum: SIMD2(x - half, y - half), maximum: SIMD2(x + half, y + half)), score: 0.9, keypoints: [])
    }

    @Test("a box too small and low on a covered face: one look refuses it, the crop on its regressed landmarks confirms it")
    func offCentreBoxOnACoveredFace() throws {
        // d6's face spans about x 100…365, y 170…435; the block hides it below row 290 (the mouth and chin).
        let frame = try Self.coveredFrame(top: 290)
        let (plain, reframing) = try Self.verifiers()
        let low = Self.detection(232, 342, half: 91)
        let once = try #require(try plain.faceScore(of: low, in: frame))
        let twice = try #require(try reframing.faceScore(of: low, in: frame))
        #expect(once < 0.5 && twice > 0.9, "one look \(once), second look \(twice)")
        #expect(reframing.secondLooks == 1 && reframing.reframedPasses == 1)
        let tracker = try FaceTracker(detector: FixedDetections([low]), verifier: reframing)
        #expect(try tracker.process(frame).count == 1, "a track on the first frame")
        #expect(try FaceTracker(detector: FixedDetections([low]), verifier: plain).process(frame).isEmpty)

        // A bar below the tracker's (the config's default 0) is the tracker's: the second look counts as before.
        #expect(try Self.verifiers(passing: 0).reframing.faceScore(of: low, in: frame) == twice)
        // A second look that falls short of its own bar counts for nothing: the first score stands.
        let strict = try Self.verifiers(passing: twice.nextUp).reframing
        #expect(try strict.faceScore(of: low, in: frame) == once)
        #expect(strict.secondLooks == 1 && strict.reframedPasses == 0)
        #expect(try FaceTracker(detector: FixedDetections([low]), verifier: strict).process(frame).isEmpty)
    }

    @Test("background stays background, and a crop that passes gets no second look")
    func noSecondChanceForBackground() throws {
        let frame = try Self.coveredFrame(top: 290)
        let (plain, reframing) = try Self.verifiers()
        let corner = Self.detection(50, 60, half: 40)  // the wall above-left of the head
        let score = try #require(try reframing.faceScore(of: corner, in: frame))
        #expect(score < 0.5, "background after a second look: \(score)")
        #expect(reframing.secondLooks == 1 && reframing.reframedPasses == 0)
        // With the bar at 0 (the tracker's, then) a failed second look still leaves the first score.
        #expect(try Self.verifiers(passing: 0).reframing.faceScore(of: corner, in: frame) == plain.faceScore(of: corner, in: frame))
        let face = Self.detection(232, 302, half: 130)  // the detector's box
        let once = try #require(try plain.faceScore(of: face, in: frame))
        #expect(once >= 0.8, "the covered face on its detector box: \(once)")
        #expect(try reframing.faceScore(of: face, in: frame) == once)
        #expect(reframing.secondLooks == 1, "a pass is not looked at again")
    }
}

/// Returns the same detections on every frame.
private final class FixedDetections: FaceDetecting {
    let detections: [FaceDetection]
    init(_ detections: [FaceDetection]) { self.detections = detections }
    func detect(in frame: VideoFrame, view: DetectorView) -> [FaceDetection] { detections }
}
