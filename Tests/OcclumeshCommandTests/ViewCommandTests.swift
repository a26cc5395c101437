import Foundation
import Testing
import TestSupport

/// `occlumesh view` in a real browser: headless Chromium (through Fixtures/browser_check.py and the DevTools protocol)
/// on the page, fed by the daemon on the bundled sample, stopped and started again.
@Suite("occlumesh view", .enabled(if: SampleDaemon.available, SampleDaemon.skipReason), .serialized)
struct ViewCommandTests {
    /// Where the test keeps the page's screenshot.
    static let screenshot = ProbeCommandTests.repositoryRoot.appendingPathComponent(".build/test-artifacts/occlumesh-view.png").path

    /// One line of the browser script: a phase and the page's own state.
    struct Report: Decodable {
        struct PageState: Decodable {
            let socketOpens: Int
            let topologies: Int
            let frames: Int
            let outOfOrder: Int
            let daemonRunning: Bool
            let stoppedSeen: Int
            let framesSinceTopology: Int
            let faces: Int
            let vertices: Int
        }
        let phase: String
        let state: PageState?
        let center: Double?
        let corner: Double?
        let changed: Double?
    }

    /// A process whose standard error is read line by line.
    static func start(_ executable: String, _ arguments: [String], input: Pipe? = nil, output: Pipe? = nil, errors: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let input { process.standardInput = input }
        if let output { process.standardOutput = output }
        if let errors { process.standardError = errors }
        try process.run()
        return process
    }

    static func readLine(_ pipe: Pipe) -> String {
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        return String(decoding: line, as: UTF8.self)
    }

    @Test("the page draws the face, takes frames in order, says when the daemon stops and recovers when it restarts")
    func browser() throws {
        let folder = try Repository.temporaryFolder("view")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Nine times the 3-second sample (27 s), so each daemon run outlasts a software-rendering browser that needs
        // 30 drawn frames while the rest of the suite loads both cores (9 s was too short once in CI-like runs); the
        // daemons are stopped as soon as the page has what it needs, so a quiet machine does not wait longer.
        let clip = folder.appendingPathComponent("loop.mp4").path
        try RunCommandTests.ffmpeg(["-stream_loop", "8", "-i", SampleDaemon.root.appendingPathComponent("samples/face.mp4").path,
                                    "-c", "copy", clip])
        let socket = folder.appendingPathComponent("mesh.sock").path

        let viewerErrors = Pipe()
        let viewer = try Self.start(ProbeCommandTests.executable, ["view", "--listen", "127.0.0.1:0", "--socket", socket], errors: viewerErrors)
        defer { viewer.terminate(); viewer.waitUntilExit() }
        let announcement = Self.readLine(viewerErrors)
        let url = try #require(announcement.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }, "\(announcement)")

        try FileManager.default.createDirectory(atPath: (Self.screenshot as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let reports = Pipe()
        let browser = try Self.start(OSCReceiver.python, [
            ProbeCommandTests.repositoryRoot.appendingPathComponent("Tests/OcclumeshCommandTests/Fixtures/browser_check.py").path,
            "--url", String(url), "--screenshot", Self.screenshot,
        ], input: Pipe(), output: reports)
        defer { if browser.isRunning { browser.terminate() }; browser.waitUntilExit() }
        func next() throws -> Report { try JSONDecoder().decode(Report.self, from: Data(Self.readLine(reports).utf8)) }

        let opened = try next()
        try #require(opened.phase == "open", "the page did not open its WebSocket")
        #expect(opened.state?.daemonRunning == false, "no daemon yet: the page says so")

        let first = try SampleDaemon("view-daemon-1", source: clip, socket: socket)
        let live = try next()
        try #require(live.phase == "live", "no frames reached the page")
        first.stop()
        let state = try #require(live.state)
        #expect(state.outOfOrder == 0 && state.frames >= 15 && state.faces == 1 && state.vertices > 1000)
        #expect((live.center ?? 0) > 0.5, "mesh pixels where the face is: \(live.center ?? 0) (screenshot \(Self.screenshot))")
        #expect((live.corner ?? 1) < 0.05, "background in the view's corner: \(live.corner ?? 1)")
        // The sample's face moves and talks: about 40 % of these pixels change; a page that stopped drawing changes none.
        #expect((live.changed ?? 0) > 0.02, "the face is redrawn as frames arrive: \(live.changed ?? 0) of its pixels changed")

        let stopped = try next()
        try #require(stopped.phase == "stopped", "the page did not notice the daemon stopping")
        #expect(stopped.state?.stoppedSeen ?? 0 >= 1)

        let second = try SampleDaemon("view-daemon-2", source: clip, socket: socket)
        defer { second.stop() }
        let recovered = try next()
        try #require(recovered.phase == "recovered", "the page did not recover after the daemon restarted")
        let after = try #require(recovered.state)
        #expect(after.topologies >= 2 && after.framesSinceTopology >= 15 && after.outOfOrder == 0)
        #expect(after.socketOpens == 1, "the viewer's own WebSocket stayed open across the daemon's restart")
    }

    /// What `Fixtures/viewer_frames.py` read from the viewer's WebSocket.
    struct StreamReport: Decodable {
        let topologies: Int
        let topology_vertices: Int
        let sequences: [Int]
        let faces: [Int]
        let vertices: [Int]
        let finite: Bool
    }

    @Test("on a live FIFO source, the viewer streams the daemon's frames in order, one per request")
    func liveFIFO() throws {
        let live = try LiveSampleDaemon("view-fifo")
        defer { live.stop() }
        let viewerErrors = Pipe()
        let viewer = try Self.start(ProbeCommandTests.executable, ["view", "--listen", "127.0.0.1:0", "--socket", live.daemon.socket],
                                    errors: viewerErrors)
        defer { viewer.terminate(); viewer.waitUntilExit() }
        let announcement = Self.readLine(viewerErrors)
        let url = try #require(announcement.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }, "\(announcement)")
        let output = Pipe()
        let reader = try Self.start(OSCReceiver.python, [
            ProbeCommandTests.repositoryRoot.appendingPathComponent("Tests/OcclumeshCommandTests/Fixtures/viewer_frames.py").path,
            "--url", String(url), "--frames", "30", "--timeout", "60",
        ], output: output)
        defer { if reader.isRunning { reader.terminate() }; reader.waitUntilExit() }
        let report = try JSONDecoder().decode(StreamReport.self, from: Data(Self.readLine(output).utf8))
        #expect(report.topologies >= 1 && report.topology_vertices > 1000, "the topology came first: \(report.topologies)")
        #expect(report.sequences.count == 30, "30 frames within a minute: \(report.sequences.count)")
        #expect(report.sequences == report.sequences.sorted() && Set(report.sequences).count == report.sequences.count,
                "in order, none twice: \(report.sequences)")
        #expect(report.faces.filter { $0 == 1 }.count >= 25, "one face in most frames: \(report.faces)")
        #expect(report.vertices.allSatisfy { $0 == report.topology_vertices }, "each face has the topology's vertices")
        #expect(report.finite, "every vertex coordinate is finite")
    }
}
