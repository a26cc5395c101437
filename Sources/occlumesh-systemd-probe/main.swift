// occlumesh-systemd-probe: a service with occlumeshd's lifecycle and synthetic frames, for checking the
// systemd unit under a real systemd (scripts/systemd-integration.sh) before the pipeline exists.
//
//   occlumesh-systemd-probe [--config PATH] [--hang-after SECONDS]
//
// Reads the config (exit 78 on errors), opens the mesh socket, sends READY=1, publishes a small synthetic
// mesh at 30 frames per second while feeding the watchdog from the frame loop, stops gracefully on
// SIGTERM/SIGINT (STOPPING=1, goodbye to clients, socket removed, exit 0) and re-reads the config on SIGHUP,
// with the same services as occlumeshd in a ServiceGroup.
// --hang-after makes the frame loop block forever after that many seconds, as a hung pipeline would.

import DaemonConfiguration
import DaemonRuntime
import Dispatch
import Foundation
import Logging
import MeshProtocol
import MeshPublisher
import ServiceLifecycle
import Synchronization
import SystemdNotify

func log(_ line: String) {
    FileHandle.standardError.write(Data("occlumesh-systemd-probe: \(line)\n".utf8))
}

/// The command line: config path and optional simulated hang.
func parseArguments() -> (configPath: String, hangAfter: Double?) {
    var configPath = "/etc/occlumesh/occlumesh.toml"
    var hangAfter: Double?
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch (argument, arguments.popFirst()) {
        case ("--config", let value?): configPath = value
        case ("--hang-after", let value?) where Double(value) != nil: hangAfter = Double(value)
        default:
            log("usage: occlumesh-systemd-probe [--config PATH] [--hang-after SECONDS]")
            exit(64)
        }
    }
    return (configPath, hangAfter)
}

let (configPath, hangAfter) = parseArguments()

let configuration: DaemonConfiguration
do {
    configuration = try DaemonConfiguration.load(path: configPath)
} catch {
    log("\(error)")
    exit(ConfigurationError.exitCode)
}

/// A 10 × 10 grid standing in for the face model's mesh.
let columns = 10

func gridTriangles() -> [SIMD3<UInt32>] {
    var triangles: [SIMD3<UInt32>] = []
    for row in 0..<(columns - 1) {
        for column in 0..<(columns - 1) {
            let corner = UInt32(row * columns + column)
            triangles.append(SIMD3(corner, corner + 1, corner + UInt32(columns)))
        }
    }
    return triangles
}

func gridTextureCoordinates() -> [SIMD2<Float>] {
    (0..<columns * columns).map { index -> SIMD2<Float> in
        SIMD2(Float(index % columns), Float(index / columns)) / Float(columns)
    }
}
let topology = MeshTopology(
    modelIdentifier: "systemd-probe-grid", vertexCount: columns * columns,
    triangles: gridTriangles(), textureCoordinates: gridTextureCoordinates(),
    faceAreaVertices: (0..<UInt32(columns * columns / 2)).map { $0 }, faceAreaTriangles: [],
    landmarkIndices: (0..<68).map { UInt32($0) }, expressionNames: (0..<53).map { "expression\($0)" }, identityDimension: 4)

let socket = configuration.socket
let publisher: MeshPublisher
do {
    publisher = try MeshPublisher(
        configuration: PublisherConfiguration(configuration, serverName: "occlumesh-systemd-probe"), topology: topology)
} catch {
    log("\(error)")
    exit(69)  // EX_UNAVAILABLE
}

let notifier: SystemdNotifier
do { notifier = try SystemdNotifier() } catch {
    log("\(error)")
    exit(69)
}

/// The synthetic frame loop: one frame every 1/30 s on its own queue.
final class FrameLoop: Sendable {
    let sequence = Mutex<UInt64>(0)
    let started = Date()
    nonisolated(unsafe) let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "frames"))

    func start(hangAfter: Double?, heartbeat: WatchdogHeartbeat) {
        timer.schedule(deadline: .now(), repeating: 1.0 / 30)
        timer.setEventHandler { [self] in
            if let hangAfter, Date().timeIntervalSince(started) > hangAfter {
                log("simulating a hung pipeline")
                while true { sleep(3600) }
            }
            let number = sequence.withLock { value -> UInt64 in
                defer { value += 1 }
                return value
            }
            let phase = Float(number) / 30
            let pose = PublishedPose(rotation: SIMD4<Float>(0, sin(phase / 2), 0, cos(phase / 2)), translation: .zero, scale: 1)
            let landmarks = (0..<68).map { index -> SIMD2<Float> in SIMD2(Float(index), phase) }
            let vertices = (0..<topology.vertexCount).map { index -> SIMD3<Float> in
                SIMD3(Float(index % columns), Float(index / columns), sin(phase))
            }
            let face = PublishedFace(
                trackIdentifier: 1, confidence: 1, pose: pose, expressionWeights: [Float](repeating: 0, count: 53),
                identity: [1, 0, 0, 0], landmarks: landmarks, landmarkVisibility: [Float](repeating: 1, count: 68),
                vertices: vertices)
            publisher.publish(PublishedFrame(
                sequence: number, sourceTimestamp: Double(number) / 30, captureTime: ProcessInfo.processInfo.systemUptime, faces: [face]))
            heartbeat.beat()
        }
        timer.resume()
    }
}

let frames = FrameLoop()
let heartbeat = WatchdogHeartbeat(notifier: notifier, interval: SystemdNotifier.watchdogInterval() ?? 3600) {
    "\(frames.sequence.withLock { $0 }) frames published, \(publisher.statistics.clients) clients"
}
let reloads = await ReloadSignalService {
    try? notifier.notify([.reloading])
    do {
        _ = try DaemonConfiguration.load(path: configPath)
        log("configuration re-read")
    } catch {
        log("reload refused, keeping the running configuration: \(error)")
    }
    try? notifier.notify([.ready, .status("configuration re-read")])
}
let stops = await StopSignalService { number in
    log("stopping on signal \(number)")
    try? notifier.stopping(status: "stopping")
}

frames.start(hangAfter: hangAfter, heartbeat: heartbeat)
do {
    try notifier.ready(status: "serving on \(socket.path)")
} catch {
    log("\(error)")
}
log("ready; serving on \(socket.path)")
// Started in this order, stopped in the reverse one: a stop signal ends the group, the heartbeat stops, and the
// publisher tells clients goodbye and removes the socket last.
let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [
    .init(service: PublisherService(publisher: publisher) { "service stopping" }),
    .init(service: heartbeat),
    .init(service: reloads),
    .init(service: stops, successTerminationBehavior: .gracefullyShutdownGroup),
], logger: Logger(label: "occlumesh-systemd-probe")))
do {
    try await group.run()
} catch {
    log("\(error)")
    exit(1)
}
exit(0)
