import Foundation
import MeshProtocol
import OcclumeshClient
import XCTest

/// The text `occlumesh subscribe` prints is valid JSON carrying the frame's fields.
final class FrameFormattingTests: XCTestCase {
    private let frame = ReceivedFrame(
        sequence: 12, sourceTimestamp: 0.4, latency: 0.00312, droppedBefore: 2,
        faces: [PublishedFace(
            trackIdentifier: 7, confidence: 0.875, pose: FacePose(rotation: SIMD4(0, 0, 0, 1), translation: SIMD3(1, -2, 3.5), scale: 2),
            expressionWeights: [0.25, .nan], identity: [1, 2], landmarks: [SIMD2(10.5, 20), SIMD2(-1, 0)],
            landmarkVisibility: [1, 0], vertices: Array(repeating: .zero, count: 5))])

    func testJSONLineParsesAndCarriesTheFields() throws {
        let line = FrameFormatting.jsonLine(frame)
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["sequence"] as? Int, 12)
        XCTAssertEqual(object["timestamp"] as? Double, 0.4)
        XCTAssertEqual(object["dropped_before"] as? Int, 2)
        let face = try XCTUnwrap((object["faces"] as? [[String: Any]])?.first)
        XCTAssertEqual(face["track"] as? Int, 7)
        XCTAssertEqual(face["vertices"] as? Int, 5)
        XCTAssertEqual(face["landmarks68"] as? [[Double]], [[10.5, 20], [-1, 0]])
        XCTAssertEqual(face["visibility68"] as? [Double], [1, 0])
        XCTAssertEqual(face["translation"] as? [Double], [1, -2, 3.5])
        XCTAssertTrue((face["expression"] as? [Any])?.last is NSNull, "NaN is written as null")
    }

    func testSummaryLine() {
        XCTAssertEqual(
            FrameFormatting.summaryLine(frame),
            "frame 12 t=0.400s latency 3.12 ms (2 dropped before): track 7 (confidence 0.88, 5 vertices)")
    }
}
