import Foundation
import TestSupport
import Testing

/// The daemon on the bundled sample, for tests of its clients (`bridge`, `subscribe`): its own process and socket.
final class SampleDaemon {
    static let root = ProbeCommandTests.repositoryRoot
    static var available: Bool {
        ["models/orn.onnx", "models/orn.json", "models/ict-face-model.ocfm", "samples/face.mp4"].allSatisfy {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path)
        }
    }
    static let skipReason: Comment = "skipped: needs models/orn.onnx + orn.json and models/ict-face-model.ocfm (scripts/setup.sh)"

    let folder: URL
    let socket: String
    private let process = Process()

    /// Starts occlumeshd on `source` (default samples/face.mp4) in real time, waiting for one client before the first
    /// frame, on `socket` (default: mesh.sock in a folder of its own).
    init(_ name: String, source: String? = nil, socket: String? = nil) throws {
        folder = try Repository.temporaryFolder(name)
        self.socket = socket ?? folder.appendingPathComponent("mesh.sock").path
        let config = try String(contentsOf: Self.root.appendingPathComponent("config/occlumesh.toml"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/share/occlumesh", with: Self.root.appendingPathComponent("models").path)
        let configPath = folder.appendingPathComponent("occlumesh.toml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: ProbeCommandTests.executable).deletingLastPathComponent().appendingPathComponent("occlumeshd")
        process.arguments = ["--config", configPath, "--source", source ?? Self.root.appendingPathComponent("samples/face.mp4").path,
                             "--socket", self.socket, "--realtime", "--wait-for-clients", "1"]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: self.socket), process.isRunning, Date() < deadline { usleep(20_000) }
    }

    /// Stops the daemon and removes its folder.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The daemon on a live source: the bundled sample streamed into a FIFO as a capture program feeds one (ffmpeg at the
/// clip's own pace, `-re`, MPEG-TS, looped to about 12 s), the daemon reading it. `stop()` ends both.
final class LiveSampleDaemon {
    /// The daemon reading the FIFO.
    let daemon: SampleDaemon
    private let folder: URL
    private let feeder = Process()

    /// Makes the FIFO in a folder named after `name`, starts writing the sample into it, then starts the daemon.
    init(_ name: String) throws {
        folder = try Repository.temporaryFolder("\(name)-feed")
        let fifo = folder.appendingPathComponent("camera.fifo").path
        guard mkfifo(fifo, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: fifo]) }
        feeder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        feeder.arguments = ["ffmpeg", "-v", "error", "-y", "-re", "-stream_loop", "3", "-i",
                            SampleDaemon.root.appendingPathComponent("samples/face.mp4").path, "-an", "-c", "copy",
                            "-f", "mpegts", fifo]
        feeder.standardError = FileHandle.nullDevice
        try feeder.run()
        daemon = try SampleDaemon(name, source: fifo)
    }

    /// Stops the daemon, then the feed if it still runs, and removes the FIFO's folder.
    func stop() {
        daemon.stop()
        if feeder.isRunning { feeder.terminate() }
        feeder.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// python-osc's server as a child process: the receiver the bridge is checked against.
final class OSCReceiver {
    static let python = ProbeCommandTests.repositoryRoot.appendingPathComponent("training/.venv/bin/python").path
    let port: Int
    private let process = Process()
    private let output = Pipe()

    /// Listens on 127.0.0.1 until `frames` messages to `end` arrived (or 60 s passed).
    init(end: String, frames: Int) throws {
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [ProbeCommandTests.repositoryRoot.appendingPathComponent("Tests/OcclumeshCommandTests/Fixtures/osc_receiver.py").path,
                             "--end", end, "--frames", "\(frames)"]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    /// One received OSC message: address, type tags (as decoded) and values.
    struct Message: Decodable {
        let address: String
        let types: String
        let values: [Value]
    }

    /// An argument value as JSON carries it.
    enum Value: Decodable, Equatable {
        case number(Double)
        case text(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }
        var number: Double? { if case .number(let value) = self { value } else { nil } }
        var text: String? { if case .text(let value) = self { value } else { nil } }
    }

    /// Everything received, once the receiver has finished.
    func messages() throws -> [Message] {
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Message.self, from: Data($0)) }
    }
}

/// `occlumesh bridge vmc|osc` against python-osc's real server, fed by the daemon running on the bundled sample.
@Suite("occlumesh bridge", .enabled(if: SampleDaemon.available, SampleDaemon.skipReason), .serialized)
struct BridgeCommandTests {
    static let perfectSyncNames: Set<String> = [
        "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
        "CheekSquintRight", "EyeBlinkLeft", "EyeBlinkRight", "EyeLookDownLeft", "EyeLookDownRight", "EyeLookInLeft",
        "EyeLookInRight", "EyeLookOutLeft", "EyeLookOutRight", "EyeLookUpLeft", "EyeLookUpRight", "EyeSquintLeft",
        "EyeSquintRight", "EyeWideLeft", "EyeWideRight", "JawForward", "JawLeft", "JawOpen", "JawRight", "MouthClose",
        "MouthDimpleLeft", "MouthDimpleRight", "MouthFrownLeft", "MouthFrownRight", "MouthFunnel", "MouthLeft",
        "MouthLowerDownLeft", "MouthLowerDownRight", "MouthPressLeft", "MouthPressRight", "MouthPucker", "MouthRight",
        "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthSmileLeft", "MouthSmileRight",
        "MouthStretchLeft", "MouthStretchRight", "MouthUpperUpLeft", "MouthUpperUpRight", "NoseSneerLeft", "NoseSneerRight",
        "TongueOut",
    ]

    /// Runs the bridge against the daemon until `frames` frames were sent; returns what the receiver got.
    static func bridge(_ arguments: [String], end: String, frames: Int) throws -> [OSCReceiver.Message] {
        let daemon = try SampleDaemon("bridge")
        defer { daemon.stop() }
        let receiver = try OSCReceiver(end: end, frames: frames)
        #expect(receiver.port > 0)
        let result = try ProbeCommandTests.run(["bridge"] + arguments + ["--to", "127.0.0.1:\(receiver.port)", "--socket", daemon.socket,
                                                                          "--count", "\(frames)"])
        #expect(result.status == 0, "\(result.errors)")
        return try receiver.messages()
    }

    @Test("vmc: per frame OK, T, Root, Head, the 52 Perfect-Sync Blend/Val then Apply, with VMC's types and sane values")
    func vmc() throws {
        let messages = try Self.bridge(["vmc"], end: "/VMC/Ext/T", frames: 45)
        let applies = messages.indices.filter { messages[$0].address == "/VMC/Ext/Blend/Apply" }
        #expect(messages.filter { $0.address == "/VMC/Ext/T" }.count == 45)
        #expect(applies.count >= 40, "a face in most frames")
        var jawOpen: [Double] = []
        var renderedJawOpen: [Double] = []
        var headTurn: [Double] = []
        for apply in applies {
            let values = messages[(apply - 52)..<apply]
            #expect(values.allSatisfy { $0.address == "/VMC/Ext/Blend/Val" && $0.types == "sf" })
            #expect(Set(values.compactMap { $0.values.first?.text }) == Self.perfectSyncNames)
            #expect(values.allSatisfy { ($0.values.last?.number).map { 0...1 ~= $0 } ?? false })
            jawOpen += values.filter { $0.values.first?.text == "JawOpen" }.compactMap { $0.values.last?.number }
            let time = messages[apply - 55].values.first?.number ?? .nan
            renderedJawOpen.append(0.35 * max(0, sin(7 * time)))  // tools/render-sample-face.py's mouth
            let head = messages[apply - 53]
            #expect(head.address == "/VMC/Ext/Bone/Pos" && head.types == "sfffffff" && head.values.first?.text == "Head")
            let quaternion = head.values.dropFirst(4).compactMap(\.number)
            #expect(abs(quaternion.map { $0 * $0 }.reduce(0, +) - 1) < 1e-3, "unit quaternion: \(quaternion)")
            headTurn.append(abs(quaternion.last ?? 1))
            #expect(messages[apply - 54].address == "/VMC/Ext/Root/Pos" && messages[apply - 54].types == "sfffffff"
                && messages[apply - 54].values.first?.text == "root")
            #expect(messages[apply - 55].address == "/VMC/Ext/T" && messages[apply - 55].types == "f")
            #expect(messages[apply - 56].address == "/VMC/Ext/OK" && messages[apply - 56].types == "iiii"
                && messages[apply - 56].values.map(\.number) == [1, 3, 0, 1])
        }
        // The sample's face talks and turns: JawOpen rises and falls with the rendered mouth (its level depends on
        // the network: v2n peaked at 0.114, v2s at 0.102 where the render reaches 0.35) and the head moves off the
        // frontal pose.
        #expect(jawOpen.count == renderedJawOpen.count && correlation(jawOpen, renderedJawOpen) > 0.3,
                "JawOpen \(jawOpen) against the render's \(renderedJawOpen)")
        #expect((headTurn.min() ?? 1) < 0.999, "head quaternion w \(headTurn)")
    }

    @Test("osc: per frame /occlumesh/frame, then the face's track, confidence, pose, position, visible and 52 expressions")
    func osc() throws {
        let messages = try Self.bridge(["osc"], end: "/occlumesh/frame", frames: 30)
        let frames = messages.filter { $0.address == "/occlumesh/frame" }
        #expect(frames.count == 30)
        #expect(frames.allSatisfy { $0.types == "iffi" })
        let sequences = frames.compactMap { $0.values.first?.number }
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "in order: \(sequences)")
        #expect(frames.filter { $0.values.last?.number == 1 }.count >= 25, "one face in most frames")
        let types = Dictionary(messages.map { ($0.address, $0.types) }, uniquingKeysWith: { first, _ in first })
        #expect(types["/occlumesh/face/0/track"] == "i")
        #expect(types["/occlumesh/face/0/confidence"] == "f")
        #expect(types["/occlumesh/face/0/pose"] == "fff")
        #expect(types["/occlumesh/face/0/position"] == "fff")
        #expect(types["/occlumesh/face/0/visible"] == "i")
        let expressions = Set(messages.map(\.address).filter { $0.hasPrefix("/occlumesh/face/0/expression/") })
        #expect(expressions.count == 52 && expressions.contains("/occlumesh/face/0/expression/browInnerUp"))
        for pose in messages where pose.address == "/occlumesh/face/0/pose" {
            #expect(pose.values.compactMap(\.number).allSatisfy { abs($0) < 90 }, "yaw, pitch, roll in degrees: \(pose.values)")
        }
        for visible in messages where visible.address == "/occlumesh/face/0/visible" {
            #expect((visible.values.first?.number).map { 0...68 ~= $0 } ?? false)
        }
    }

    @Test("osc and vmc against the daemon on a live FIFO source: the sample streamed into it in real time by ffmpeg",
          arguments: ["osc", "vmc"])
    func liveFIFO(protocol name: String) throws {
        let live = try LiveSampleDaemon("bridge-fifo-\(name)")
        defer { live.stop() }
        // A frame starts with /occlumesh/frame (its sequence first) for osc, /VMC/Ext/T (the time) for vmc.
        let frameAddress = name == "osc" ? "/occlumesh/frame" : "/VMC/Ext/T"
        let receiver = try OSCReceiver(end: frameAddress, frames: 30)
        // Bounded: a bridge whose daemon is gone waits for it to come back, and the test must fail, not hang.
        let result = try Subprocess.run("timeout", ["60", ProbeCommandTests.executable, "bridge", name,
                                                    "--to", "127.0.0.1:\(receiver.port)", "--socket", live.daemon.socket, "--count", "30"])
        #expect(result.status == 0, "\(result.errors)")
        let messages = try receiver.messages()
        let frames = messages.filter { $0.address == frameAddress }
        #expect(frames.count == 30)
        let stamps = frames.compactMap { $0.values.first?.number }
        #expect(stamps == stamps.sorted() && Set(stamps).count == stamps.count, "in order, none twice: \(stamps)")
        let facesSent = name == "osc" ? frames.filter { $0.values.last?.number == 1 }.count
            : messages.filter { $0.address == "/VMC/Ext/Blend/Apply" }.count
        #expect(facesSent >= 25, "one face in most frames: \(facesSent)")
    }

    @Test("a bad calibration file is one line naming the key, exit status 78; a bad destination exits 1")
    func badInput() throws {
        let folder = try Repository.temporaryFolder("bridge-calibration")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("avatar.toml").path
        try "[jawOpen]\ngain = 1e12\n".write(toFile: path, atomically: true, encoding: .utf8)
        let calibration = try ProbeCommandTests.run(["bridge", "vmc", "--to", "127.0.0.1:39539", "--calibration", path, "--socket", "/nonexistent"])
        #expect(calibration.status == 78)
        #expect(calibration.errors.contains("jawOpen.gain (line 2)") && calibration.errors.split(separator: "\n").count == 1,
                "\(calibration.errors)")
        let destination = try ProbeCommandTests.run(["bridge", "osc", "--to", "host.invalid:9000", "--socket", "/nonexistent"])
        #expect(destination.status == 1)
        #expect(destination.errors.contains("not an IPv4 address") && destination.errors.split(separator: "\n").count == 1, "\(destination.errors)")
    }
}
