import Foundation
import MeshProtocol
import MeshPublisher
import XCTest

/// The Python client (`clients/python`) against a real server: what it decodes equals what was published.
final class PythonClientTests: XCTestCase {
    private let clientDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("clients/python")

    private func python(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = clientDirectory
        return process
    }

    /// A JSON array of numbers as `Float`s (Python writes each float32 exactly as a double).
    private func floats(_ value: Any?) -> [Float]? { (value as? [Double])?.map(Float.init) }

    private func requireNumpy() throws {
        let probe = python(["-c", "import numpy"])
        probe.standardError = FileHandle.nullDevice
        do { try probe.run() } catch { throw XCTSkip("python3 is not installed; the Python client test needs python3 with numpy") }
        probe.waitUntilExit()
        if probe.terminationStatus != 0 { throw XCTSkip("numpy is not installed for python3 (pip install numpy)") }
    }

    func testPythonClientDecodesFramesTopologyAndStatus() throws {
        try requireNumpy()
        let path = Fixtures.socketPath()
        let topology = Fixtures.topology(vertexCount: 500)
        let recorder = EventRecorder()
        // Frames are published back to back: a queue that holds them all keeps the test independent of scheduling.
        let server = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path, queueCapacity: 16), topology: topology, eventHandler: recorder.handler)
        defer { server.stop() }

        let frameCount = 4
        let process = python(["check_stream.py", path, "\(frameCount)", "f16", "face-area"])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        XCTAssertTrue(waitUntil(timeout: 30) { recorder.all.contains { if case .clientSubscribed = $0 { true } else { false } } })
        let published = (0..<frameCount).map { Fixtures.frame(sequence: UInt64($0), topology: topology, identityEpoch: $0 / 2) }
        server.publish(published[0])
        server.publishStatus([StatusCounter("frames_in", 1)])
        for frame in published.dropFirst() { server.publish(frame) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)

        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.first, "subscribed")
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(lines.last).utf8)) as? [String: Any])
        XCTAssertEqual(document["model_id"] as? String, topology.modelIdentifier)
        XCTAssertEqual(document["vertex_count"] as? Int, topology.faceAreaVertices.count)
        XCTAssertEqual(document["head_vertex_indices"] as? [Int], topology.faceAreaVertices.map(Int.init))
        XCTAssertEqual(document["triangles"] as? [[Int]], topology.faceAreaTriangles.map { [Int($0.x), Int($0.y), Int($0.z)] })
        XCTAssertEqual(document["expression_names"] as? [String], topology.expressionNames)
        XCTAssertEqual((document["status"] as? [String: Double])?["frames_in"], 1)

        let frames = try XCTUnwrap(document["frames"] as? [[String: Any]])
        XCTAssertEqual(frames.map { $0["sequence"] as? Int }, (0..<frameCount).map { $0 })
        for (received, sent) in zip(frames, published) {
            let faces = try XCTUnwrap(received["faces"] as? [[String: Any]])
            XCTAssertEqual(faces.count, sent.faces.count)
            for (face, original) in zip(faces, sent.faces) {
                XCTAssertEqual(face["track"] as? Int, Int(original.trackIdentifier))
                XCTAssertEqual(floats(face["expression"]), original.expressionWeights)
                XCTAssertEqual(floats(face["identity"]), original.identity, "identity filled from the Python client's cache")
                XCTAssertEqual((face["landmarks"] as? [[Double]])?.map { $0.map(Float.init) }, original.landmarks.map { [$0.x, $0.y] })
                XCTAssertEqual(floats(face["visibility"]), original.landmarkVisibility)
                let vertices = try XCTUnwrap(face["vertices"] as? [[Double]])
                let expected = topology.faceAreaVertices.map { original.vertices[Int($0)] }
                XCTAssertEqual(vertices.count, expected.count)
                for (got, want) in zip(vertices, expected) {
                    for lane in 0..<3 { XCTAssertEqual(Float(got[lane]), want[lane], accuracy: max(abs(want[lane]), 1) / 1024) }
                }
            }
        }
    }
}
