@testable import FacePipeline
import FaceModel
import FaceRegression
import FaceSmoothing
import FaceTracking
import Foundation
import TestSupport
import Testing

/// The mesh stage's motion-guided smoothing of a live source: a face's measured image motion carries its pose, but
/// only a motion measured from the frame the track was last smoothed on.
@Suite("mesh stage motion guidance")
struct MeshStageMotionTests {
    let modelPath = Repository.path("models/ict-face-model.ocfm")

    /// Frame `index` of a face moving right 10 px a frame, its motion measured since frame `index − 1 − skew`.
    private func frame(_ index: Int, model: MorphableModel, skew: Int) -> RegressedFrame {
        let x = 100 + 10 * Float(index)
        let box = BoundingBox(minimum: SIMD2(x - 50, 50), maximum: SIMD2(x + 50, 150))
        var tracked = TrackedFace(track: 1, confidence: 0.9, box: box, region: CropRegion(centre: SIMD2(x, 100), side: 140))
        if index > 0 {
            tracked.motion = ImageMotion(centre: SIMD2(x - 10, 100), translation: SIMD2(10, 0))
            tracked.motionSince = index - 1 - skew
        }
        let regressed = RegressedFace(identity: [Float](repeating: 0.1, count: model.identityCount),
                                      expression: [Float](repeating: 0.2, count: model.expressionCount),
                                      pose: FacePose(translation: SIMD3(x, 100, 0), scale: 5),
                                      visibility: [Float](repeating: 1, count: MorphableModel.landmarkCount))
        return RegressedFrame(index: index, presentationTime: Double(index) / 25, captureTime: 0,
                              faces: [RegressedImageFace(tracked: tracked, face: regressed)])
    }

    /// The smoothed x of the face on frame 9.
    private func lastX(skew: Int) throws -> Float {
        let model = try MorphableModel(path: modelPath)
        let stage = MeshStage(model: model, settings: SmoothingSettings(lookaheadFrames: 3, motionGuidance: MotionGuidance()),
                              lookahead: false)
        var x: Float = 0
        for index in 0..<10 {
            x = try #require(try stage.accept(frame(index, model: model, skew: skew)).first?.faces.first).imagePose.translation.x
        }
        return x
    }

    @Test("motion measured from the last smoothed frame carries the pose: a moving face is not trailed")
    func motionFromTheLastFrameCarriesThePose() throws {
        let x = try lastX(skew: 0)
        #expect(abs(x - 190) < 0.01, "x \(x)")
    }

    @Test("motion measured from another frame (one dropped between the stages) is not used")
    func motionFromAnotherFrameIsIgnored() throws {
        let x = try lastX(skew: 1)
        #expect(x < 190 - 5, "without the motion the pose is only pulled towards the regressed one: x \(x)")
    }
}
