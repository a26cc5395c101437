import ArgumentParser
import DaemonConfiguration
import Foundation
import MeshProtocol
import MotionBridge
import OSCEncoding
import OcclumeshClient

/// `occlumesh bridge vmc|osc --to HOST:PORT`: sends the daemon's faces to animation and VTuber programs over OSC/UDP.
struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Send the daemon's faces to animation and VTuber programs (VMC) or any OSC receiver.",
        discussion: """
            vmc: the VMC protocol (VSeeFace, VNyan, Warudo, VMagicMirror, Unity/Blender add-ons): ARKit's 52 \
            blendshapes by Perfect-Sync name, head rotation, /VMC/Ext/OK. osc: plain OSC, one message per \
            expression and pose, for TouchDesigner, Max, Pure Data. docs/bridges.md lists the addresses. \
            While the daemon is away the bridge waits and reconnects. Exit status: 0 after --count frames, 1 on a \
            bad destination or socket error, 78 on a bad calibration file.
            """)

    /// The protocols a bridge can speak.
    enum BridgeProtocol: String, ExpressibleByArgument, CaseIterable {
        case vmc, osc
    }

    @Argument(help: "vmc or osc.")
    var protocolName: BridgeProtocol

    @Option(help: "Where to send: HOST:PORT, an IPv4 address (VMC receivers listen on 39539 by default).")
    var to: String

    @Option(help: "Path of the daemon's mesh socket.")
    var socket = "/run/occlumesh/mesh.sock"

    @Option(help: "TOML file with per-shape gain and offset (docs/bridges.md).")
    var calibration: String?

    @Option(help: "Most frames per second to send (0: every frame the daemon publishes).")
    var maxRate: Float = 0

    @Option(help: "Stop after sending this many frames (for checks).")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard maxRate >= 0, maxRate.isFinite, maxRate <= 1000 else { throw ValidationError("--max-rate must be from 0 to 1000") }
    }

    func run() throws {
        let shapes: ShapeCalibration
        if let calibration {
            do {
                let text = try String(contentsOfFile: calibration, encoding: .utf8)
                shapes = try ShapeCalibration(toml: text)
            } catch let error as ConfigurationError {
                Self.fail("\(calibration): \(error)", status: 78)
            } catch {
                Self.fail("cannot read calibration file \(calibration): \(error.localizedDescription)", status: 78)
            }
        } else {
            shapes = ShapeCalibration()
        }
        let sender: UDPSender
        do { sender = try UDPSender(destination: to) } catch { Self.fail("--to \(error)", status: 1) }

        let subscription = Subscription(vertexFormat: .none, region: .faceArea, landmarks: protocolName == .osc, maximumRate: maxRate)
        var sent = 0
        var waitingSaid = false
        while true {
            let client: OcclumeshClient
            do {
                client = try OcclumeshClient(socketPath: socket, subscription: subscription)
            } catch {
                if !waitingSaid { Self.say("waiting for the daemon at \(socket): \(error)") }
                waitingSaid = true
                usleep(500_000)
                continue
            }
            waitingSaid = false
            let names = client.topology.expressionNames
            let missing = ARKitBlendshapes(expressionNames: names).missing
            if !missing.isEmpty { Self.say("the daemon's model lacks \(missing.joined(separator: ", ")); sent as 0") }
            Self.say("connected to \(client.welcome.serverName); sending \(protocolName.rawValue) to \(to)")
            var vmc = VMCEncoder(expressionNames: names, calibration: shapes)
            let osc = GenericOSCEncoder(expressionNames: names, calibration: shapes)
            do {
                while let frame = try client.nextFrame() {
                    let bundle = protocolName == .vmc ? vmc.bundle(for: frame) : osc.bundle(for: frame)
                    sender.send(bundle.encoded)
                    sent += 1
                    if let count, sent >= count { return }
                }
                Self.say("the daemon closed the connection\(client.goodbye.map { ": \($0.reason)" } ?? ""); reconnecting")
            } catch {
                Self.say("\(error); reconnecting")
            }
            if protocolName == .vmc {
                sender.send(OSCBundle([OSCMessage("/VMC/Ext/OK", [.int32(1), .int32(3), .int32(0), .int32(0)])]).encoded)
            }
            usleep(500_000)
        }
    }

    private static func say(_ line: String) {
        FileHandle.standardError.write(Data("occlumesh bridge: \(line)\n".utf8))
    }

    private static func fail(_ line: String, status: Int32) -> Never {
        say(line)
        Foundation.exit(status)
    }
}
