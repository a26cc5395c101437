@testable import FacePipeline
import FaceModel
import FaceRegression
import FaceSmoothing
import FaceTracking
import Foundation
import TestSupport
import Testing

/// The mesh stage on a file (centred windows) and on a live source (causal filters), with the shipped face model.
@Suite("mesh stage lookahead")
struct MeshStageLookaheadTests {
    let modelPath = Repository.path("models/ict-face-model.ocfm")

    /// Frame `index`: track 1 moving right 10 px a frame; track 2 only on `secondTrack` frames.
    private func frame(_ index: Int, model: MorphableModel, secondTrack: Range<Int>) -> RegressedFrame {
        func face(track: Int, x: Float) -> RegressedImageFace {
            let box = BoundingBox(minimum: SIMD2(x - 50, 50), maximum: SIMD2(x + 50, 150))
            let tracked = TrackedFace(track: track, confidence: 0.9, box: box, region: CropRegion(centre: SIMD2(x, 100), side: 140))
            let regressed = RegressedFace(identity: [Float](repeating: 0.1, count: model.identityCount),
                                          expression: [Float](repeating: 0.2, count: model.expressionCount),
                                          pose: FacePose(translation: SIMD3(x, 100, 0), scale: 5),
                                          visibility: [Float](repeating: 1, count: MorphableModel.landmarkCount))
            return RegressedImageFace(tracked: tracked, face: regressed)
        }
        var faces = [face(track: 1, x: 100 + 10 * Float(index))]
        if secondTrack.contains(index) { faces.append(face(track: 2, x: 400)) }
        return RegressedFrame(index: index, presentationTime: Double(index) / 25, captureTime: 0, faces: faces)
    }

    @Test("a file's frames leave in order, the window's width late, none lost, and a moving face is not trailed")
    func aFilesFramesLeaveInOrderWithoutLag() throws {
        let model = try MorphableModel(path: modelPath)
        let stage = MeshStage(model: model, settings: SmoothingSettings(lookaheadFrames: 3), lookahead: true)
        var out: [ProcessedFrame] = []
        for index in 0..<10 {
            let ready = try stage.accept(frame(index, model: model, secondTrack: 2..<5))
            #expect(ready.map(\.index) == (index >= 3 ? [index - 3] : []), "after frame \(index)")
            out += ready
        }
        out += try stage.finish()
        #expect(out.map(\.index) == Array(0..<10))
        #expect(out.map { $0.faces.count } == [1, 1, 2, 2, 2, 1, 1, 1, 1, 1])
        for frame in out[3..<7] {
            let x = try #require(frame.faces.first).imagePose.translation.x
            #expect(abs(x - (100 + 10 * Float(frame.index))) < 0.01, "frame \(frame.index): x \(x)")
        }
        #expect(try stage.finish().isEmpty)
    }

    @Test("a live source is smoothed frame by frame, and its filters trail a moving face")
    func aLiveSourceIsSmoothedFrameByFrame() throws {
        let model = try MorphableModel(path: modelPath)
        let stage = MeshStage(model: model, settings: SmoothingSettings(lookaheadFrames: 3), lookahead: false)
        for index in 0..<10 {
            let ready = try stage.accept(frame(index, model: model, secondTrack: 0..<0))
            #expect(ready.map(\.index) == [index])
            if index == 9 {
                let x = try #require(ready.first?.faces.first).imagePose.translation.x
                #expect(x < 100 + 10 * 9 - 0.1, "the causal filters lag: x \(x)")
            }
        }
        #expect(try stage.finish().isEmpty)
    }
}
