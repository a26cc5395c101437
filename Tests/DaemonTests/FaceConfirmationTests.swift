import FacePipeline
import FaceRegression
import FaceTracking
import Foundation
import Testing
import VideoIngest

/// Returns the detections it is given, whatever the frame: the detector's seam, so the test chooses what the
/// detector "likes".
private final class ScriptedDetector: FaceDetecting {
    let detections: [FaceDetection]
    init(_ detections: [FaceDetection]) { self.detections = detections }
    func detect(in frame: VideoFrame, view: DetectorView) -> [FaceDetection] { detections }
}

/// New faces confirmed by the regressor's face score, with a real (toy) regressor: `toy-orn-face.onnx`
/// (tools/make-toy-regressor.py) scores a red crop as a face (~1) and a blue one as background (~0).
@Suite("face confirmation by the regressor's face score")
struct FaceConfirmationTests {
    static let fixtures = TestResources.repositoryRoot.appendingPathComponent("Tests/FaceRegressionTests/Fixtures")

    static func regressor(_ stem: String) throws -> FaceRegressor {
        try FaceRegressor(modelPath: fixtures.appendingPathComponent("\(stem).onnx").path,
                          specificationPath: fixtures.appendingPathComponent("\(stem).json").path)
    }

    /// 200×100: a red square (the face) at x 20…80 and a blue one (background) at x 120…180, both y 20…80.
    static func frame(index: Int) -> VideoFrame {
        let width = 200, height = 100
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 20..<80 {
            for x in 20..<80 { pixels[(y * width + x) * 3] = 255 }
            for x in 120..<180 { pixels[(y * width + x) * 3 + 2] = 255 }
        }
        return VideoFrame(index: index, presentationTime: Double(index) / 30, captureTime: 0, width: width, height: height,
                          layout: .rgb24, bytesPerRow: width * 3, pixels: pixels)
    }

    static func box(_ x: Float) -> BoundingBox { BoundingBox(minimum: SIMD2(x, 20), maximum: SIMD2(x + 60, 80)) }

    @Test("a regressor whose outputs are no face's scores every crop 0 and counts it: nothing becomes a track")
    func unusableOutputsAreNotFaces() throws {
        let verifier = try #require(RegressorFaceVerifier(regressor: try Self.regressor("toy-orn-diverged-nan-identity")))
        let face = FaceDetection(box: Self.box(20), score: 0.95, keypoints: [])
        #expect(try verifier.faceScore(of: face, in: Self.frame(index: 0)) == 0)
        #expect(verifier.unusableOutputs == 1)
        let tracker = try FaceTracker(detector: ScriptedDetector([face]), verifier: verifier)
        for index in 0..<3 { #expect(try tracker.process(Self.frame(index: index)).isEmpty, "frame \(index)") }
        #expect(verifier.unusableOutputs >= 4)
    }

    @Test("a weak detection of a face is a track at once; background the detector likes is rejected")
    func backgroundRejectedByTheFaceScore() throws {
        let verifier = try #require(RegressorFaceVerifier(regressor: try Self.regressor("toy-orn-face")))
        let face = FaceDetection(box: Self.box(20), score: 0.6, keypoints: [])
        let background = FaceDetection(box: Self.box(120), score: 0.95, keypoints: [])
        #expect(try verifier.faceScore(of: face, in: Self.frame(index: 0)) ?? 0 > 0.99)
        #expect(try verifier.faceScore(of: background, in: Self.frame(index: 0)) ?? 1 < 0.01)

        let tracker = try FaceTracker(detector: ScriptedDetector([background, face]), verifier: verifier)
        for index in 0..<3 {
            let tracks = try tracker.process(Self.frame(index: index))
            #expect(tracks.map(\.box) == [Self.box(20)], "frame \(index): only the face is a track")
            #expect(tracks.map(\.id) == [1], "frame \(index)")
        }

        // A five-output regressor cannot tell: no verifier, and the detector's scores decide as before.
        #expect(RegressorFaceVerifier(regressor: try Self.regressor("toy-orn5")) == nil)
        let plain = try FaceTracker(detector: ScriptedDetector([background, face]))
        #expect(try plain.process(Self.frame(index: 0)).map(\.box) == [Self.box(120)])
    }

    @Test("the mirrored face score is the mean of the crop's and its mirror image's")
    func mirroredFaceScore() throws {
        // `toy-orn-face-left` scores the crop's left half: red there is a face (~1), blue background (~0). The box
        // holds red on its left and blue on its right, so its mirror image scores the other way round.
        let width = 100, height = 100
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 20..<80 {
            for x in 20..<50 { pixels[(y * width + x) * 3] = 255 }
            for x in 50..<80 { pixels[(y * width + x) * 3 + 2] = 255 }
        }
        let frame = VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: width, height: height,
                               layout: .rgb24, bytesPerRow: width * 3, pixels: pixels)
        let half = FaceDetection(box: Self.box(20), score: 0.9, keypoints: [])
        let plain = try #require(RegressorFaceVerifier(regressor: try Self.regressor("toy-orn-face-left"), mirrored: false))
        let mirrored = try #require(RegressorFaceVerifier(regressor: try Self.regressor("toy-orn-face-left")))
        #expect(mirrored.mirrored)
        let direct = try #require(try plain.faceScore(of: half, in: frame))
        let mean = try #require(try mirrored.faceScore(of: half, in: frame))
        #expect(direct > 0.95)
        #expect(abs(mean - 0.5) < 0.1, "mean of ~1 and ~0: \(mean)")
        // At the default minimum face score (0.8) the mirrored verifier refuses what one pass would confirm.
        #expect(try FaceTracker(detector: ScriptedDetector([half]), verifier: plain).process(frame).count == 1)
        #expect(try FaceTracker(detector: ScriptedDetector([half]), verifier: mirrored).process(frame).isEmpty)
    }
}
