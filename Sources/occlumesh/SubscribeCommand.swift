import ArgumentParser
import FaceReadout
import Foundation
import MeshProtocol
import OcclumeshClient

/// `occlumesh subscribe`: connects to the daemon's mesh socket and prints what arrives: one readable line per
/// second, or with `--json` one JSON object per frame.
struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Connect to the daemon's mesh socket and print the frames that arrive.",
        discussion: """
            Without --json, prints one line per second: frames per second and mean latency over that second, then \
            for each face of the newest frame its track, head yaw/pitch/roll in degrees, its three strongest \
            expressions with their weights and how many of the 68 landmarks are visible. With --json, prints one \
            JSON object per frame: {"sequence": n, "timestamp": t, "faces": [{"track": id, "landmarks68": \
            [[x,y], …], "vertices": count, …}]}. Stops after --count frames, or when the daemon says goodbye.
            """)

    /// Vertex encodings selectable on the command line.
    enum VertexChoice: String, ExpressibleByArgument, CaseIterable {
        case none, f32, f16

        var format: VertexFormat {
            switch self {
            case .none: return .none
            case .f32: return .float32
            case .f16: return .float16
            }
        }
    }

    /// Mesh regions selectable on the command line.
    enum RegionChoice: String, ExpressibleByArgument, CaseIterable {
        case face = "face-area"
        case head = "whole-head"

        var region: MeshRegion { self == .face ? .faceArea : .wholeHead }
    }

    @Option(help: "Path of the daemon's mesh socket.")
    var socket = "/run/occlumesh/mesh.sock"

    @Option(help: "Stop after this many frames.")
    var count: Int?

    @Flag(help: "Print one JSON object per frame.")
    var json = false

    @Option(help: "Vertex encoding to ask for: none (coefficients only), f32 or f16.")
    var vertices: VertexChoice = .f32

    @Option(help: "Mesh region to ask for: face-area or whole-head.")
    var region: RegionChoice = .face

    @Flag(inversion: .prefixedNo, help: "Ask for the 68 image landmarks.")
    var landmarks = true

    @Option(help: "Most frames per second to receive (0: every frame).")
    var maxRate: Float = 0

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard maxRate >= 0, maxRate.isFinite else { throw ValidationError("--max-rate must be 0 or more") }
    }

    func run() throws {
        let subscription = Subscription(
            vertexFormat: vertices.format, region: region.region, landmarks: landmarks, maximumRate: maxRate)
        let client = try OcclumeshClient(socketPath: socket, subscription: subscription)
        if !json {
            let topology = client.topology
            printLine("connected to \(client.welcome.serverName) (protocol \(client.welcome.version)); model "
                + "\(topology.modelIdentifier), \(topology.vertexCount) vertices, \(topology.triangles.count) triangles")
        }
        var received = 0
        var summary = ReadableSummary(expressionNames: client.topology.expressionNames)
        defer { if !json, let line = summary.flush(at: Self.now()) { printLine(line) } }
        while let message = try client.nextMessage() {
            switch message {
            case .frame(let frame):
                if json {
                    printLine(FrameFormatting.jsonLine(frame))
                } else if let line = summary.add(frame, at: Self.now()) {
                    printLine(line)
                }
                received += 1
                if let count, received >= count { return }
            case .status(let status):
                summary.add(status)
            case .goodbye(let goodbye):
                FileHandle.standardError.write(Data("occlumesh subscribe: server said goodbye (\(goodbye.code)): \(goodbye.reason)\n".utf8))
            default:
                break
            }
        }
    }

    /// Seconds on the monotonic clock.
    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Writes a line unbuffered, so a pipe sees each frame as it arrives.
    private func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
