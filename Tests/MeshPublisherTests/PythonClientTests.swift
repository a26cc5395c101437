import Foundation
import MeshProtocol
import MeshPublisher
import TestSupport
import Testing

/// The Python client (`clients/python`) against a real server: what it decodes equals what was published.
@Suite("Python client")
struct PythonClientTests {
    private let clientDirectory = Repository.root.appendingPathComponent("clients/python")

    private func python(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = clientDirectory
        return process
    }

    /// A JSON array of numbers as `Float`s (Python writes each float32 exactly as a double).
    private func floats(_ value: Any?) -> [Float]? { (value as? [Double])?.map(Float.init) }

    @Test("the Python client decodes frames, topology and status as published",
          .enabled(if: Subprocess.hasNumpy, "python3 with numpy is not installed (pip install numpy)"))
    func pythonClientDecodesFramesTopologyAndStatus() throws {
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
        #expect(waitUntil(timeout: 30) { recorder.all.contains { if case .clientSubscribed = $0 { true } else { false } } })
        let published = (0..<frameCount).map { Fixtures.frame(sequence: UInt64($0), topology: topology, identityEpoch: $0 / 2) }
        server.publish(published[0])
        server.publishStatus([StatusCounter("frames_in", 1)])
        for frame in published.dropFirst() { server.publish(frame) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "subscribed")
        let lastLine = try #require(lines.last)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
        #expect((document["model_id"] as? String) == topology.modelIdentifier)
        #expect((document["vertex_count"] as? Int) == topology.faceAreaVertices.count)
        #expect((document["head_vertex_indices"] as? [Int]) == topology.faceAreaVertices.map(Int.init))
        #expect((document["triangles"] as? [[Int]]) == topology.faceAreaTriangles.map { [Int($0.x), Int($0.y), Int($0.z)] })
        #expect((document["expression_names"] as? [String]) == topology.expressionNames)
        #expect(((document["status"] as? [String: Double])?["frames_in"]) == 1)

        let frames = try #require(document["frames"] as? [[String: Any]])
        #expect((frames.map { $0["sequence"] as? Int }) == (0..<frameCount).map { $0 })
        for (received, sent) in zip(frames, published) {
            let faces = try #require(received["faces"] as? [[String: Any]])
            #expect(faces.count == sent.faces.count)
            for (face, original) in zip(faces, sent.faces) {
                #expect((face["track"] as? Int) == Int(original.trackIdentifier))
                #expect(floats(face["expression"]) == original.expressionWeights)
                #expect(floats(face["identity"]) == original.identity, "identity filled from the Python client's cache")
                #expect(((face["landmarks"] as? [[Double]])?.map { $0.map(Float.init) }) == original.landmarks.map { [$0.x, $0.y] })
                #expect(floats(face["visibility"]) == original.landmarkVisibility)
                let vertices = try #require(face["vertices"] as? [[Double]])
                let expected = topology.faceAreaVertices.map { original.vertices[Int($0)] }
                #expect(vertices.count == expected.count)
                for (got, want) in zip(vertices, expected) {
                    for lane in 0..<3 { #expect(abs(Float(got[lane]) - want[lane]) <= max(abs(want[lane]), 1) / 1024) }
                }
            }
        }
    }
}
