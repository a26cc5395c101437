import Foundation
import MeshProtocol
import MeshViewer
import Testing

/// The viewer's WebSocket messages: binary layouts the page reads, JSON it parses, and the --listen check.
@Suite("viewer messages")
struct ViewerMessagesTests {
    static let topology = RegionTopology(
        modelIdentifier: "model \"x\"", region: .faceArea, vertexCount: 3, headVertexIndices: [10, 20, 30],
        triangles: [SIMD3(0, 1, 2), SIMD3(2, 1, 0)], textureCoordinates: Array(repeating: .zero, count: 3),
        landmarkIndices: [20, 99], expressionNames: ["jawOpen", "eyeBlink_L"], identityDimension: 0)

    @Test("topology: kind 1, generation, V, T, then the triangle indices, little-endian; JSON names landmark vertices")
    func topology() throws {
        let bytes = ViewerMessages.topologyBinary(Self.topology, generation: 7)
        #expect(Array(bytes[0..<16]) == [1, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0])
        #expect(Array(bytes[16...]) == [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        let text = ViewerMessages.topologyText(Self.topology, generation: 7)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["model"] as? String == "model \"x\"")
        #expect(object["landmarkVertices"] as? [Int] == [1, -1])
        #expect(object["expressionNames"] as? [String] == ["jawOpen", "eyeBlink_L"])
    }

    @Test("vertices: kind 2, face count, sequence, then per face track, V and V × 3 float16")
    func vertices() {
        let face = PublishedFace(
            trackIdentifier: 5, confidence: 1, pose: PublishedPose(rotation: SIMD4(1, 0, 0, 0), translation: .zero, scale: 1),
            expressionWeights: [], identity: [], landmarks: [], landmarkVisibility: [],
            vertices: [SIMD3(1, -2, 0.5), SIMD3(.nan, 65504, 0)])
        let frame = ReceivedFrame(sequence: 0x1_0000_0102, sourceTimestamp: 0, latency: 0, droppedBefore: 0, faces: [face])
        let bytes = ViewerMessages.verticesBinary(frame)
        #expect(Array(bytes[0..<8]) == [2, 0, 1, 0, 2, 1, 0, 0])
        #expect(Array(bytes[8..<16]) == [5, 0, 0, 0, 2, 0, 0, 0])
        // 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800; NaN is sent as 0; 65504 = 0x7BFF.
        #expect(Array(bytes[16...]) == [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0, 0, 0xFF, 0x7B, 0, 0])
    }

    @Test("frame text is JSON the page can parse, with angles in degrees and non-finite numbers as null")
    func frameText() throws {
        let face = PublishedFace(
            trackIdentifier: 2, confidence: .nan, pose: PublishedPose(rotation: SIMD4(1, 0, 0, 0), translation: .zero, scale: 1),
            expressionWeights: [0.5, .infinity], identity: [], landmarks: [SIMD2(1, 2)], landmarkVisibility: [0.25], vertices: [])
        let frame = ReceivedFrame(sequence: 9, sourceTimestamp: 0.3, latency: 0.002, droppedBefore: 1, faces: [face])
        let text = ViewerMessages.frameText(frame, status: StatusReport(droppedForClient: 4, counters: [StatusCounter("fps", 30)]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let faces = try #require(object["faces"] as? [[String: Any]])
        #expect(faces[0]["yaw"] as? Double == 0 && faces[0]["confidence"] is NSNull)
        #expect((faces[0]["expression"] as? [Any])?.count == 2 && faces[0]["landmarks"] as? [Double] == [1, 2])
        let status = try #require(object["status"] as? [String: Any])
        #expect(status["fps"] as? Double == 30 && status["droppedForViewer"] as? Int == 4)
        let daemon = ViewerMessages.daemonState(running: false, message: "stopped: \"bye\"\n")
        #expect((try JSONSerialization.jsonObject(with: Data(daemon.utf8)) as? [String: Any])?["message"] as? String == "stopped: \"bye\"\n")
    }

    @Test("--listen takes HOST:PORT with an IP address; anything else is one line naming it", arguments: [
        "8037", "127.0.0.1:99999", "example.org:8037", "127.0.0.1:-1",
    ])
    func badListen(listen: String) {
        #expect { try ViewerServer(listen: listen, feed: ViewerFeed(socketPath: "/nonexistent", maximumRate: 30)) } throws: { error in
            "\(error)".contains(listen) && !"\(error)".contains("\n")
        }
    }
}
