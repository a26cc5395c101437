import Foundation
import MeshProtocol
import Synchronization
import TestSupport
import Testing

/// The running daemon's resident memory against each family of hostile client: it may grow during an attack, and
/// stay grown after it, by no more than what the documented per-client limits let all clients hold at once:
///
///     max_clients × (queue_capacity × largest frame + 2 × topology + input buffer)
///
/// (a client's queue holds `queue_capacity` droppable messages plus at most a welcome and two topologies; its input
/// is read 4 KiB at a time only while under 4 KiB is unread, into a buffer compacted once 64 KiB were consumed).
/// `Benchmarks/attack-memory.py` measures the same attacks on the release build and prints the table in
/// docs/daemon.md.
@Suite("occlumeshd's memory under attack", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct AttackMemoryTests {
    static let maximumClients = 8, queueCapacity = 4
    /// Most bytes one client's input buffer may hold: twice (the array may have doubled) 64 KiB consumed plus two reads.
    static let inputBufferBytes = 2 * (65536 + 2 * 4096)
    /// The largest frames: the whole head, float32, with landmarks.
    static let largest = Subscription(vertexFormat: .float32, region: .wholeHead, landmarks: true)

    /// Resident set size of a process now, in bytes (VmRSS of /proc/PID/status); nil once it is gone.
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kibibytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kibibytes * 1024
    }

    /// Samples a process's resident size every 10 ms on a thread of its own, keeping the largest since `reset`.
    final class PeakSampler: Sendable {
        private let state = Mutex((peak: 0, stopped: false))

        init(pid: Int32) {
            Thread { [self] in
                while let bytes = AttackMemoryTests.residentBytes(pid), !state.withLock({ $0.stopped }) {
                    state.withLock { $0.peak = max($0.peak, bytes) }
                    usleep(10_000)
                }
            }.start()
        }

        /// The largest size sampled since the last reset, and starts a new window.
        func reset() -> Int { state.withLock { state in defer { state.peak = 0 }; return state.peak } }

        func stop() { state.withLock { $0.stopped = true } }
    }

    /// A subscriber reading everything on a thread of its own, remembering the largest frame and topology.
    final class SizeReader: Sendable {
        struct Seen { var frames = 0, frameBytes = 0, topologyBytes = 0, goodbye: UInt8? }
        let seen = Mutex(Seen())

        init(socketPath: String, subscription: Subscription) throws {
            let client = try RawClient(socketPath: socketPath)
            try client.send(MessageEncoder.hello() + MessageEncoder.subscribe(subscription))
            Thread { [self] in
                defer { client.close() }
                var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let count = recv(client.descriptor, &buffer, buffer.count, 0)
                    if count <= 0 { return }
                    buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                    while let (type, body) = try? framer.nextMessage() {
                        let bytes = ProtocolConstants.headerSize + body.count
                        seen.withLock { seen in
                            switch type {
                            case MessageType.frame.rawValue: seen.frames += 1; seen.frameBytes = max(seen.frameBytes, bytes)
                            case MessageType.topology.rawValue: seen.topologyBytes = max(seen.topologyBytes, bytes)
                            case MessageType.goodbye.rawValue: seen.goodbye = body.first
                            default: break
                            }
                        }
                    }
                }
            }.start()
        }
    }

    /// Closes so that the server sees the peer vanish: a reset when data was left unread.
    static func vanish(_ peer: HostileClientTests.Peer) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(peer.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Runs `body` over and over for `seconds`; returns how many times it ran.
    static func repeatFor(_ seconds: Double, _ body: () throws -> Void) rethrows -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var count = 0
        while Date() < deadline {
            try body()
            count += 1
        }
        return count
    }

    /// Each attack family, from raw sockets: a name and the attack, which returns the connections it made.
    static func attacks(socket: String) -> [(String, () throws -> Int)] {
        var random = SeededGenerator(seed: 0x0CC1_4E55)
        let hello = MessageEncoder.hello()
        let subscribe = MessageEncoder.subscribe(largest)
        let junk = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &random) }
        let floods = [hello + Array(repeating: subscribe, count: 2000).joined(), Array(Array(repeating: hello, count: 2000).joined()),
                      Array(Array(repeating: HostileClientTests.subscribe(rate: -1e30), count: 2000).joined())]
        return [
            ("junk bytes", {
                try repeatFor(2) {
                    let peer = try HostileClientTests.Peer(socket)
                    let count = [1, 13, 4096, 65536].randomElement(using: &random)!
                    let start = Int.random(in: 0...(junk.count - count), using: &random)
                    peer.send(Array(junk[start..<(start + count)]))
                }
            }),
            ("subscribe and hello floods", {
                try repeatFor(2) {
                    let peer = try HostileClientTests.Peer(socket)
                    peer.send(floods.randomElement(using: &random)!)
                    _ = try peer.drain(timeout: 1)
                }
            }),
            ("clients vanishing mid-message and mid-frame", {
                try repeatFor(2) {
                    let peer = try HostileClientTests.Peer(socket)
                    if Bool.random(using: &random) {
                        let message = hello + subscribe
                        peer.send(Array(message.prefix(Int.random(in: 1..<message.count, using: &random))))
                    } else {
                        peer.send(hello + subscribe)
                        _ = try peer.drain(timeout: 0.2, stopAfterFrames: 1)
                    }
                    vanish(peer)
                }
            }),
            ("8 × max_clients slow and stalled readers of the largest frames", {
                // Half read 4 KiB every 100 ms (never stalled), half read nothing (evicted after stall_timeout); those
                // past max_clients are refused.
                let peers = try (0..<(8 * maximumClients)).map { _ in
                    let peer = try HostileClientTests.Peer(socket)
                    var size: Int32 = 4096
                    setsockopt(peer.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                    peer.send(hello + subscribe)
                    return peer
                }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = repeatFor(8) {
                    for peer in peers.enumerated() where peer.offset % 2 == 0 {
                        _ = recv(peer.element.descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    }
                    usleep(100_000)
                }
                peers.forEach(vanish)
                return peers.count
            }),
            ("region changes within the subscribe rate from clients that read nothing", {
                // Each change queues a topology the client never reads: at most two may wait, one more is a goodbye.
                let peers = try (0..<(maximumClients - 2)).map { _ in
                    let peer = try HostileClientTests.Peer(socket)
                    var size: Int32 = 4096
                    setsockopt(peer.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                    peer.send(hello + subscribe)
                    return peer
                }
                var region = MeshRegion.wholeHead
                _ = repeatFor(3) {
                    region = region == .wholeHead ? .faceArea : .wholeHead
                    let change = MessageEncoder.subscribe(Subscription(vertexFormat: .float32, region: region, landmarks: true))
                    peers.forEach { $0.send(change) }
                    usleep(110_000)
                }
                peers.forEach(vanish)
                return peers.count
            }),
            ("oversize length fields and bodies", {
                try repeatFor(2) {
                    let peer = try HostileClientTests.Peer(socket)
                    let length = [257, 65536, 0x7FFF_FFFF, 0xFFFF_FFFF].randomElement(using: &random)! as UInt32
                    let prefix = Bool.random(using: &random) ? hello : []
                    peer.send(prefix + withUnsafeBytes(of: length.littleEndian) { Array($0) } + [MessageType.subscribe.rawValue]
                              + [UInt8](repeating: 0, count: 65536))
                }
            }),
            ("connection churn past max_clients", {
                let held = try (0..<(maximumClients - 2)).map { _ in try HostileClientTests.Peer(socket) }
                held.forEach { $0.send(hello) }
                let churned = try repeatFor(2) {
                    let peer = try HostileClientTests.Peer(socket)
                    if Bool.random(using: &random) { peer.send(hello) }
                }
                return held.count + churned
            }),
        ]
    }

    @Test("each attack family grows resident memory, during and after, by no more than the per-client limits × max_clients")
    func memoryStaysBounded() throws {
        let folder = try Repository.temporaryFolder("attack-memory")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The bundled clip looped to 60 s, played at its own pace.
        let clip = folder.appendingPathComponent("looped.mp4").path
        let sample = TestResources.repositoryRoot.appendingPathComponent("samples/face.mp4").path
        try TestResources.run("/usr/bin/env", ["ffmpeg", "-nostdin", "-v", "error", "-stream_loop", "19", "-i", sample, "-c", "copy", "-y", clip])
        let socket = folder.appendingPathComponent("mesh.sock").path
        let (config, _) = try DaemonEndToEndTests.writeConfig(
            in: folder, clip: clip,
            clients: "max_clients = \(Self.maximumClients)\nqueue_capacity = \(Self.queueCapacity)\nsend_buffer_bytes = 4096",
            log: "level = \"notice\"")
        let daemon = try DaemonProcess(["--config", config, "--realtime"], logPath: folder.appendingPathComponent("daemon.log").path)
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        #expect(daemon.waitForSocket(socket), "the socket appears: \(daemon.log)")
        let pid = daemon.process.processIdentifier

        let full = try SizeReader(socketPath: socket, subscription: Self.largest)
        let coefficients = try SizeReader(socketPath: socket, subscription: .coefficientsOnly)
        let warm = Date().addingTimeInterval(30)
        while full.seen.withLock({ $0.frames < 60 }) || coefficients.seen.withLock({ $0.frames < 60 }), Date() < warm { usleep(20_000) }
        let baseline = try #require(Self.residentBytes(pid), "the daemon runs: \(daemon.log)")
        let sampler = PeakSampler(pid: pid)
        defer { sampler.stop() }
        _ = sampler.reset()

        var rows: [String] = []
        for (name, attack) in Self.attacks(socket: socket) {
            let connections = try attack()
            usleep(1_500_000)  // the server notices the last closes; stalled readers are evicted
            let after = try #require(Self.residentBytes(pid), "alive after \(name): \(daemon.log.suffix(2000))")
            let peak = max(sampler.reset(), after)
            let seen = full.seen.withLock { $0 }
            let bound = Self.maximumClients * (Self.queueCapacity * seen.frameBytes + 2 * seen.topologyBytes + Self.inputBufferBytes)
            let megabytes = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_048_576) }
            rows.append("\(name): \(connections) connections, peak +\(megabytes(peak - baseline)), after +\(megabytes(after - baseline)), bound \(megabytes(bound))")
            #expect(seen.frameBytes > 100_000 && seen.topologyBytes > 100_000, "the good client saw whole-head frames and topology: \(seen)")
            #expect(peak - baseline <= bound, "\(name): peak \(megabytes(peak)) is \(megabytes(peak - baseline)) over the baseline \(megabytes(baseline)); bound \(megabytes(bound))")
            #expect(after - baseline <= bound, "\(name): after \(megabytes(after)) is \(megabytes(after - baseline)) over the baseline \(megabytes(baseline)); bound \(megabytes(bound))")
        }
        print("attack memory (baseline \(baseline / 1_048_576) MB):\n" + rows.joined(separator: "\n"))
        #expect(full.seen.withLock { $0.goodbye } == nil && coefficients.seen.withLock { $0.goodbye } == nil, "the good clients were never sent away")
        kill(pid, SIGTERM)
        #expect(daemon.waitForExit() == 0, "\(daemon.log.suffix(2000))")
        print(daemon.log.split(separator: "\n").filter { $0.contains("whole run") }.joined(separator: "\n"))
    }
}
