import Foundation
import MeshProtocol
import Synchronization
import TestSupport
import Testing

/// The running daemon against hostile clients on its real socket: each known attack, then a seeded random-message
/// fuzzer, while two good clients check that every frame of the file arrives, in order. The daemon must be alive
/// at the end, its descriptors back where they started, and its log bounded.
@Suite("occlumeshd against hostile clients", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct HostileClientTests {
    /// A raw connection with a receive deadline, reading server messages until the server closes.
    final class Peer {
        let descriptor: Int32
        private var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)

        init(_ path: String) throws {
            descriptor = try RawClient(socketPath: path).descriptor
        }

        deinit { close(descriptor) }

        /// Sends what the socket takes (a hostile peer does not care whether the server already hung up).
        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }

        /// Message types received until the server closes or `timeout` seconds pass (then nil is appended).
        func drain(timeout: Double = 10, stopAfterFrames: Int = .max) throws -> [UInt8?] {
            var types: [UInt8?] = []
            var frames = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                while let (type, _) = try framer.nextMessage() {
                    types.append(type)
                    if type == MessageType.frame.rawValue { frames += 1 }
                    if frames >= stopAfterFrames { return types }
                }
                var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&pollDescriptor, 1, 50) > 0 else { continue }
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { return types }
                buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            return types + [nil]
        }
    }

    static let goodbye = MessageType.goodbye.rawValue, welcome = MessageType.welcome.rawValue

    static func subscribe(format: UInt8 = 0, region: UInt8 = 0, flags: UInt8 = 0, reserved: UInt8 = 0, rate: Float = 0) -> [UInt8] {
        [9, 0, 0, 0, MessageType.subscribe.rawValue, format, region, flags, reserved]
            + withUnsafeBytes(of: rate.bitPattern.littleEndian) { Array($0) }
    }

    /// One random client message: valid ones, mutations of valid ones, hostile numbers, junk and bad lengths.
    static func randomMessage(_ random: inout SeededGenerator) -> [UInt8] {
        let hello = MessageEncoder.hello()
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return hello
        case 1: return subscribe(format: UInt8.random(in: 0...3, using: &random), region: UInt8.random(in: 0...2, using: &random),
                                 flags: UInt8.random(in: 0...2, using: &random), rate: Float.random(in: -5...60, using: &random))
        case 2: return subscribe(rate: [-1e30, .nan, .infinity, -.infinity, -Float.greatestFiniteMagnitude, 1e30].randomElement(using: &random)!)
        case 3: return subscribe(reserved: UInt8.random(in: 1...255, using: &random))
        case 4:  // a valid message with one random byte changed
            var bytes = Bool.random(using: &random) ? hello : subscribe()
            bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            return bytes
        case 5:  // any type, any short body
            let body = (0..<Int.random(in: 0...12, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return withUnsafeBytes(of: UInt32(body.count + 1).littleEndian) { Array($0) } + [UInt8.random(in: 0...255, using: &random)] + body
        case 6:  // absurd length fields
            let lengths: [UInt32] = [0, 257, 0xFFFF_FFFF, 0x7FFF_FFFF, 256]
            return withUnsafeBytes(of: lengths.randomElement(using: &random)!.littleEndian) { Array($0) } + [2, 0, 0]
        case 7:  // a truncated valid message
            let bytes = subscribe()
            return Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &random)))
        default:  // random bytes
            return (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
    }

    static func descriptorCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    @Test("known attacks and 3,000 fuzzed messages: good clients get every frame in order, the daemon survives, descriptors return")
    func hostileClients() throws {
        let folder = try Repository.temporaryFolder("hostile-clients")
        defer { try? FileManager.default.removeItem(at: folder) }
        let frameCount = 150
        let clip = try TestResources.clip(frames: frameCount, in: folder)
        let (config, socket) = try DaemonEndToEndTests.writeConfig(in: folder, clip: clip)
        let daemon = try DaemonProcess(["--config", config, "--realtime", "--wait-for-clients", "2"],
                                       logPath: folder.appendingPathComponent("daemon.log").path)
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) } }
        #expect(daemon.waitForSocket(socket), "the socket appears: \(daemon.log)")
        let pid = daemon.process.processIdentifier
        let full = DaemonEndToEndTests.Reader(socketPath: socket, subscription: Subscription(vertexFormat: .float16, region: .faceArea, landmarks: true))
        let coefficients = DaemonEndToEndTests.Reader(socketPath: socket, subscription: .coefficientsOnly)
        let deadline = Date().addingTimeInterval(20)
        while full.received.withLock({ $0.sequences.isEmpty }) || coefficients.received.withLock({ $0.sequences.isEmpty }), Date() < deadline {
            usleep(10_000)
        }
        let baseline = Self.descriptorCount(pid)

        // Known attacks, each from a fresh connection.
        let attacks: [(String, [UInt8], (([UInt8?]) -> Bool))] = [
            ("rate -1e30 without hello", Self.subscribe(rate: -1e30), { $0.first == Self.goodbye }),
            ("bad message after hello in one write", MessageEncoder.hello() + [1, 0, 0, 0, 0x7E], { $0.prefix(2) == [Self.welcome, Self.goodbye] }),
            ("non-zero reserved byte", MessageEncoder.hello() + Self.subscribe(reserved: 1), { $0.last == Self.goodbye }),
            ("NaN rate", MessageEncoder.hello() + Self.subscribe(rate: .nan), { $0.last == Self.goodbye }),
            ("oversized length", [0xFF, 0xFF, 0xFF, 0xFF, 0x01], { $0 == [Self.goodbye] }),
            ("subscribe flood", MessageEncoder.hello() + Array((0..<200).map { _ in Self.subscribe() }.joined()), { $0.last == Self.goodbye }),
        ]
        for (name, bytes, check) in attacks {
            let peer = try Peer(socket)
            peer.send(bytes)
            let received = try peer.drain()
            #expect(check(received), "\(name): received \(received)")
        }
        // Half-closed after subscribing: still served.
        let halfClosed = try Peer(socket)
        halfClosed.send(MessageEncoder.hello() + Self.subscribe())
        shutdown(halfClosed.descriptor, Int32(SHUT_WR))
        let served = try halfClosed.drain(stopAfterFrames: 3)
        #expect(served.filter { $0 == MessageType.frame.rawValue }.count == 3, "half-closed client still gets frames: \(served)")

        // Seeded fuzzer: connections of 1–20 random messages sent in one write, until 3,000 messages or the deadline.
        var random = SeededGenerator(seed: 0x0CC1_0E5E)
        var messages = 0, connections = 0
        let fuzzDeadline = Date().addingTimeInterval(15)
        while messages < 3000, Date() < fuzzDeadline, daemon.process.isRunning {
            let peer = try Peer(socket)
            let count = Int.random(in: 1...20, using: &random)
            var bytes = Bool.random(using: &random) ? MessageEncoder.hello() : []
            for _ in 0..<count { bytes += Self.randomMessage(&random) }
            peer.send(bytes)
            messages += count
            connections += 1
            // Half the peers wait for the server's verdict, half hang up at once.
            if Bool.random(using: &random) { _ = try peer.drain(timeout: 0.5, stopAfterFrames: 1) }
        }
        #expect(daemon.process.isRunning, "alive after \(messages) fuzzed messages on \(connections) connections: \(daemon.log.suffix(2000))")
        #expect(messages >= 1000, "\(messages) fuzzed messages sent before the deadline")
        // Hang up the half-closed client for good: a debug build keeps `halfClosed` alive to the end of the scope, and a
        // reader whose small frames still fit the socket buffers is never dropped as slow.
        shutdown(halfClosed.descriptor, Int32(SHUT_RDWR))

        // Every connection above is closed: the daemon's descriptors return to the baseline.
        let settle = Date().addingTimeInterval(10)
        while Self.descriptorCount(pid) != baseline, daemon.process.isRunning, Date() < settle { usleep(20_000) }
        if daemon.process.isRunning {
            #expect(Self.descriptorCount(pid) == baseline, "descriptors \(Self.descriptorCount(pid)), baseline \(baseline)")
        }

        for (name, reader) in [("full", full), ("coefficients", coefficients)] {
            let result = try #require(reader.result(timeout: 60), "\(name) client finished")
            #expect(result.error == nil, "\(name): \(result.error ?? "")")
            #expect(result.sequences == (0..<UInt64(frameCount)).map { $0 }, "\(name) got every frame in order")
            #expect(result.goodbye == .serverStopping)
        }
        #expect(daemon.waitForExit() == 0, "\(daemon.log.suffix(2000))")
        // The periodic status line ("frames in …", every log.status_interval) grows with wall time, not with attacks:
        // on a loaded machine the run takes minutes, so only the other lines are bounded.
        let lines = daemon.log.split(separator: "\n").filter { !$0.contains("frames in ") }
        print("hostile clients: \(messages) fuzzed messages on \(connections) connections; daemon log \(lines.count) lines besides status")
        #expect(lines.count < 200, "the log stays bounded: \(lines.count) lines for \(connections + 9) connections")
        #expect(!daemon.log.contains("Fatal error"))
    }
}
