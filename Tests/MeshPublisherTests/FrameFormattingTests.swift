import Foundation
import MeshProtocol
import OcclumeshClient
import Testing

/// The text `occlumesh subscribe` prints is valid JSON carrying the frame's fields.
@Suite("frame formatting")
struct FrameFormattingTests {
    private let frame = ReceivedFrame(
        sequence: 12, sourceTimestamp: 0.4, latency: 0.00312, droppedBefore: 2,
        faces: [PublishedFace(
            trackIdentifier: 7, confidence: 0.875, pose: PublishedPose(rotation: SIMD4(0, 0, 0, 1), translation: SIMD3(1, -2, 3.5), scale: 2),
            expressionWeights: [0.25, .nan], identity: [1, 2], landmarks: [SIMD2(10.5, 20), SIMD2(-1, 0)],
            landmarkVisibility: [1, 0], vertices: Array(repeating: .zero, count: 5))])

    @Test("a JSON line parses and carries the fields")
    func jSONLineParsesAndCarriesTheFields() throws {
        let line = FrameFormatting.jsonLine(frame)
        #expect(!(line.contains("\n")))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["sequence"] as? Int) == 12)
        #expect((object["timestamp"] as? Double) == 0.4)
        #expect((object["dropped_before"] as? Int) == 2)
        let face = try #require((object["faces"] as? [[String: Any]])?.first)
        #expect((face["track"] as? Int) == 7)
        #expect((face["vertices"] as? Int) == 5)
        #expect((face["landmarks68"] as? [[Double]]) == [[10.5, 20], [-1, 0]])
        #expect((face["visibility68"] as? [Double]) == [1, 0])
        #expect((face["translation"] as? [Double]) == [1, -2, 3.5])
        #expect((face["expression"] as? [Any])?.last is NSNull, "NaN is written as null")
    }

    @Test("the summary line")
    func summaryLine() {
        #expect(FrameFormatting.summaryLine(frame) == "frame 12 t=0.400s latency 3.12 ms (2 dropped before): track 7 (confidence 0.88, 5 vertices)")
    }
}
