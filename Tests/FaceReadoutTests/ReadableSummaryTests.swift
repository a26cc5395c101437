import FaceReadout
import MeshProtocol
import Testing

/// The readable `occlumesh subscribe` line: one per interval, with rate, latency and each face's essentials.
@Suite("readable summary")
struct ReadableSummaryTests {
    static let names = ["browDown_L", "eyeBlink_L", "jawOpen", "mouthSmile_R", "noseSneer_L"]

    static func frame(_ sequence: UInt64, latency: Double = 0.002, dropped: UInt32 = 0, faces: [PublishedFace]) -> ReceivedFrame {
        ReceivedFrame(sequence: sequence, sourceTimestamp: Double(sequence) / 30, latency: latency, droppedBefore: dropped, faces: faces)
    }

    static func face(track: UInt32, weights: [Float], visible: Int) -> PublishedFace {
        PublishedFace(
            trackIdentifier: track, confidence: 0.9, pose: PublishedPose(rotation: SIMD4(1, 0, 0, 0), translation: .zero, scale: 1),
            expressionWeights: weights, identity: [], landmarks: Array(repeating: .zero, count: 68),
            landmarkVisibility: (0..<68).map { $0 < visible ? 0.9 : 0.1 }, vertices: [])
    }

    @Test("one line per second: fps, mean latency, dropped frames, and per face track, angles, top three, visible landmarks")
    func oneLinePerSecond() throws {
        var summary = ReadableSummary(expressionNames: Self.names)
        let face = Self.face(track: 7, weights: [0.1, 0.8, 0.5, 0.05, 0.3], visible: 61)
        var lines: [String] = []
        for index in 0..<75 {  // 2.5 s at 30 fps
            let latency = index < 30 ? 0.001 : 0.003
            if let line = summary.add(Self.frame(UInt64(index), latency: latency, dropped: index == 10 ? 2 : 0, faces: [face]),
                                      at: 100 + Double(index) / 30) {
                lines.append(line)
            }
        }
        if let line = summary.flush(at: 100 + 75.0 / 30) { lines.append(line) }
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("30.0 fps, latency 1.0 ms, 2 dropped | frame 29: "), "\(lines[0])")
        #expect(lines[1].hasPrefix("30.0 fps, latency 3.0 ms | frame 59: "), "\(lines[1])")
        #expect(lines[2].hasPrefix("30.0 fps, latency 3.0 ms | frame 74: "), "a short last interval: \(lines[2])")
        #expect(lines[0].hasSuffix("track 7: yaw 0° pitch 0° roll 0°; eyeBlink_L 0.80, jawOpen 0.50, noseSneer_L 0.30; 61/68 landmarks visible"),
                "\(lines[0])")
    }

    @Test("a frame without faces says so; the pipeline's fps from the status message is shown")
    func noFaceAndStatus() {
        var summary = ReadableSummary(expressionNames: Self.names)
        summary.add(StatusReport(droppedForClient: 0, counters: [StatusCounter("fps", 29.97)]))
        #expect(summary.add(Self.frame(1, faces: []), at: 0) == nil)
        let line = summary.flush(at: 1)
        #expect(line == "1.0 fps, latency 2.0 ms (pipeline 30.0 fps) | frame 1: no face")
        #expect(summary.flush(at: 2) == nil, "nothing arrived since the last line")
    }

    @Test("the strongest weights skip non-finite ones and keep the order of ties")
    func strongest() {
        #expect(ReadableSummary.strongest([0.2, .nan, 0.9, 0.2, .infinity, 0.1], count: 3) == [2, 0, 3])
    }
}
