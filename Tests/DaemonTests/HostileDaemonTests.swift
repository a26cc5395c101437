import Foundation
import MeshProtocol
import OcclumeshClient
import Synchronization
import Testing
import TestSupport

/// occlumeshd against hostile files and clients: every failure is one line and its documented exit code, and a
/// running daemon survives what it is sent.
@Suite("occlumeshd against hostile input", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct HostileDaemonTests {
    /// `samples/sample.mp4` with its `stts` box emptied: the video stream is there, but no frame decodes.
    static func clipWithoutFrames(in folder: URL) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: TestResources.repositoryRoot.appendingPathComponent("samples/sample.mp4")))
        let tag = Array("stts".utf8)
        let start = try #require((0..<(bytes.count - 16)).first { Array(bytes[$0..<($0 + 4)]) == tag })
        for offset in 8..<12 { bytes[start + offset] = 0 }  // entry_count = 0
        let path = folder.appendingPathComponent("no-frames.mp4").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("an unloadable or hostile detector sidecar ends with one line and exit 69, not a trap")
    func unloadableDetector() throws {
        let folder = try Repository.temporaryFolder("bad-detector")
        defer { try? FileManager.default.removeItem(at: folder) }
        let models = TestResources.models
        // A sidecar beside the real network whose keypoint count is 2^63 - 1.
        var json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: models.appendingPathComponent("face_detection_short_range.json"))) as! [String: Any]
        var decoding = json["decoding"] as! [String: Any]
        decoding["num_keypoints"] = Int.max
        json["decoding"] = decoding
        let hostile = folder.appendingPathComponent("det.json")
        try JSONSerialization.data(withJSONObject: json).write(to: hostile)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent(json["model"] as! String),
            withDestinationURL: models.appendingPathComponent(json["model"] as! String))
        for detector in ["/nonexistent/det.json", hostile.path] {
            // A real clip: the source is opened before the pipeline loads the detector.
            let sample = TestResources.repositoryRoot.appendingPathComponent("samples/sample.mp4").path
            let (config, _) = try DaemonEndToEndTests.writeConfig(in: folder, clip: sample)
            let text = try String(contentsOfFile: config, encoding: .utf8)
                .replacingOccurrences(of: "\(models.path)/face_detection_short_range.json", with: detector)
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let (status, log) = try DaemonProcess.run(["--config", config], in: folder)
            #expect(status == 69, "\(detector): \(log)")
            let failures = log.split(separator: "\n").filter { $0.contains(" critical: ") || $0.contains(" error: ") }
            #expect(failures.count == 1 && failures[0].contains(detector), "\(detector): \(log)")
            #expect(!log.contains("Fatal error") && !log.contains("BUG IN CLIENT"), "\(detector): \(log)")
        }
    }

    @Test("a file whose video stream yields no frame is an error: the daemon exits 1 naming the input")
    func noFrameFile() throws {
        let folder = try Repository.temporaryFolder("no-frames")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = try Self.clipWithoutFrames(in: folder)
        let (config, _) = try DaemonEndToEndTests.writeConfig(in: folder, clip: clip)
        let (status, log) = try DaemonProcess.run(["--config", config], in: folder)
        #expect(status == 1 || status == 66, "\(log)")
        #expect(log.contains("no frame"), "\(log)")
    }

    @Test("--wait-for-clients 2 waits for two distinct clients, not one client subscribing twice")
    func waitCountsDistinctClients() throws {
        let folder = try Repository.temporaryFolder("wait2")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frameCount = 20
        let clip = try TestResources.clip(frames: frameCount, in: folder)
        let (config, socket) = try DaemonEndToEndTests.writeConfig(in: folder, clip: clip)
        let daemon = try DaemonProcess(["--config", config, "--realtime", "--wait-for-clients", "2"],
                                       logPath: folder.appendingPathComponent("daemon.log").path)
        #expect(daemon.waitForSocket(socket), "the socket appears: \(daemon.log)")
        let first = try RawClient(socketPath: socket)
        defer { first.close() }
        try first.send(MessageEncoder.hello() + MessageEncoder.subscribe(.coefficientsOnly)
                       + MessageEncoder.subscribe(Subscription(vertexFormat: .none, region: .faceArea, landmarks: true)))
        let deadline = Date().addingTimeInterval(20)
        while daemon.log.components(separatedBy: "subscribed").count < 3, Date() < deadline { usleep(20_000) }
        #expect(daemon.log.components(separatedBy: "subscribed").count >= 3, "both subscribes were seen: \(daemon.log)")
        // The gate must still be closed: no frame reaches the first client while it is the only one.
        var framesBeforeSecond = 0
        var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let quietUntil = Date().addingTimeInterval(1.5)
        while Date() < quietUntil {
            var descriptor = pollfd(fd: first.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let count = recv(first.descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            while let (type, _) = try framer.nextMessage() {
                if type == MessageType.frame.rawValue { framesBeforeSecond += 1 }
            }
        }
        #expect(framesBeforeSecond == 0, "frames went out before the second client subscribed")
        let second = DaemonEndToEndTests.Reader(socketPath: socket, subscription: .coefficientsOnly)
        let result = try #require(second.result())
        #expect(result.sequences == (0..<UInt64(frameCount)).map { $0 }, "the second client gets every frame")
        #expect(daemon.waitForExit() == 0, "\(daemon.log)")
    }

    @Test("a SIGHUP reload of a config nested 30,000 deep is refused and the daemon keeps serving")
    func deeplyNestedReload() throws {
        let folder = try Repository.temporaryFolder("deep-reload")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frameCount = 60
        let clip = try TestResources.clip(frames: frameCount, in: folder)
        let (config, socket) = try DaemonEndToEndTests.writeConfig(in: folder, clip: clip)
        let daemon = try DaemonProcess(["--config", config, "--realtime", "--wait-for-clients", "1"],
                                       logPath: folder.appendingPathComponent("daemon.log").path)
        #expect(daemon.waitForSocket(socket), "the socket appears: \(daemon.log)")
        let pid = daemon.process.processIdentifier
        let reader = DaemonEndToEndTests.Reader(socketPath: socket, subscription: .coefficientsOnly) { count in
            if count == 5 {
                let deep = "x = " + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "\n"
                try? deep.write(toFile: config, atomically: true, encoding: .utf8)
                kill(pid, SIGHUP)
            }
        }
        let result = try #require(reader.result())
        #expect(result.sequences == (0..<UInt64(frameCount)).map { $0 }, "every frame, through the refused reload")
        #expect(result.goodbye == .serverStopping)
        #expect(daemon.waitForExit() == 0, "\(daemon.log)")
        #expect(daemon.log.contains("reload refused"), "\(daemon.log)")
    }
}
