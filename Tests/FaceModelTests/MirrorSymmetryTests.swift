import FaceModel
import Foundation
import Testing
import TestSupport

/// The mirror mappings test-time mirror averaging relies on.
@Suite("mirror symmetry")
struct MirrorSymmetryTests {
    let temporary = TemporaryDirectory("mirror")

    @Test("mirroring the 68 landmarks twice gives them back, and the midline stays")
    func landmarkOrderIsAnInvolution() {
        let order = MorphableModel.mirroredLandmarkOrder
        #expect(order.count == MorphableModel.landmarkCount)
        #expect(Set(order) == Set(0..<68))
        #expect(order.indices.allSatisfy { order[order[$0]] == $0 })
        #expect([8, 27, 28, 29, 30, 33, 51, 57, 62, 66].allSatisfy { order[$0] == $0 }, "chin, nose ridge, lip centres")
        #expect(order[36] == 45 && order[48] == 54 && order[0] == 16, "eye and mouth corners, jaw ends swap")
    }

    @Test("left and right expressions swap by name; a missing mirror name gives no mapping")
    func expressionOrderSwapsByName() throws {
        var contents = SyntheticModel.contents()
        contents.expressionNames = ["jawOpen", "eyeBlink_L"]
        #expect(try temporary.model(contents.encoded()).mirroredExpressionOrder == nil, "eyeBlink_R is missing")
        contents.expressionNames = ["eyeBlink_R", "eyeBlink_L"]
        #expect(try temporary.model(contents.encoded()).mirroredExpressionOrder == [1, 0])
        contents.expressionNames = ["mouthRight", "mouthLeft"]
        #expect(try temporary.model(contents.encoded()).mirroredExpressionOrder == [1, 0])
        contents.expressionNames = ["jawOpen", "mouthClose"]
        #expect(try temporary.model(contents.encoded()).mirroredExpressionOrder == [0, 1])
    }
}
