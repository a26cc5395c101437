import DaemonConfiguration
import DaemonRuntime
import Dispatch
import Foundation
import Glibc
import Logging
import MeshProtocol
import MeshPublisher
import ServiceLifecycle
import Synchronization
import SystemdNotify
import UnixSocket
import Testing

/// The watchdog heartbeat on a real notification socket, and signal delivery to a real process (this one).
@Suite("daemon runtime", .serialized)
struct DaemonRuntimeTests {
    @Test("the watchdog is fed only while the pipeline beats")
    func watchdogIsFedOnlyWhileThePipelineBeats() async throws {
        let name = "@occlumesh-watchdog-test-\(UUID().uuidString.prefix(8))"
        let listener = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
        defer { close(listener) }
        #expect(try UnixSocketAddress(name).withSocketAddress { bind(listener, $0, $1) } == 0)
        /// Waits up to `seconds` (absence is checked over 15 ticks; presence gets a generous margin for a loaded
        /// machine, where blocking tests can hold Swift concurrency's threads for seconds), on a thread of its own.
        func receive(within seconds: Int = 30) async -> String? {
            await withCheckedContinuation { continuation in
                Thread {
                    var timeout = seconds == 0 ? timeval(tv_sec: 0, tv_usec: 300_000) : timeval(tv_sec: seconds, tv_usec: 0)
                    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var buffer = [UInt8](repeating: 0, count: 512)
                    let count = recv(listener, &buffer, buffer.count, 0)
                    continuation.resume(returning: count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self))
                }.start()
            }
        }

        let heartbeat = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: name), interval: 0.02) { "30 fps, 1 client" }
        let ticking = Task { await heartbeat.run() }
        defer { ticking.cancel() }
        #expect(await receive(within: 0) == nil, "no ping before the pipeline made progress")
        heartbeat.beat()
        #expect(await receive() == "WATCHDOG=1\nSTATUS=30 fps, 1 client\n")
        #expect(await receive(within: 0) == nil, "no further ping while the pipeline is stuck")
        heartbeat.beat()
        heartbeat.beat()
        #expect(await receive() == "WATCHDOG=1\nSTATUS=30 fps, 1 client\n")
        #expect(heartbeat.count == 3)
    }

    @Test("the heartbeat, the publisher and the signal services end at graceful shutdown; the publisher removes its socket")
    func servicesEndAtGracefulShutdown() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let socketPath = folder.appendingPathComponent("mesh.sock").path
        var configuration = DaemonConfiguration()
        configuration.socket.path = socketPath
        let publisher = try MeshPublisher(configuration: PublisherConfiguration(configuration), topology: Self.topology)
        let heartbeat = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: nil), interval: 3600)
        let stops = await StopSignalService { _ in }
        let reloads = await ReloadSignalService {}
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [
            PublisherService(publisher: publisher) { "test over" }, heartbeat, stops, reloads,
        ], logger: Logger(label: "test")))
        #expect(FileManager.default.fileExists(atPath: socketPath), "the publisher serves before the group runs")
        // Every service waits an hour or for a signal unless graceful shutdown ends it: the group must end in seconds.
        let ended = await Self.finishes(within: 20) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .milliseconds(200))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        #expect(ended, "every service ended at graceful shutdown")
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the publisher removed its socket on the way out")
    }

    @Test("SIGHUP reaches the reload service each time; the first SIGINT ends the stop service")
    func signalsReachTheServices() async {
        let reloadCount = Atomic<Int>(0)
        let stopSignals = Mutex<[Int32]>([])
        let reloads = await ReloadSignalService { reloadCount.add(1, ordering: .relaxed) }
        let stops = await StopSignalService { number in stopSignals.withLock { $0.append(number) } }
        let reloading = Task { await reloads.run() }
        defer { reloading.cancel() }
        for expected in 1...2 {
            kill(getpid(), SIGHUP)
            let deadline = ContinuousClock.now + .seconds(10)
            while reloadCount.load(ordering: .relaxed) < expected, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        #expect(reloadCount.load(ordering: .relaxed) == 2)
        let stopped = await Self.finishes(within: 10) {
            async let stopping: Void = stops.run()
            kill(getpid(), SIGINT)
            await stopping
        }
        #expect(stopped, "the stop service returned after SIGINT")
        #expect(stopSignals.withLock { $0 } == [SIGINT])
    }

    /// Whether `body` finishes within `seconds`.
    static func finishes(within seconds: Int, _ body: @escaping @Sendable () async throws -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { (try? await body()) != nil }
            tasks.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
    }

    static let topology = MeshTopology(
        modelIdentifier: "runtime-test", vertexCount: 3, triangles: [SIMD3(0, 1, 2)],
        textureCoordinates: [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0, 1)], faceAreaVertices: [0, 1, 2], faceAreaTriangles: [SIMD3(0, 1, 2)],
        landmarkIndices: [0, 1, 2], expressionNames: ["a"], identityDimension: 1)
}

/// The config file's socket and client settings reach the publisher unchanged.
@Suite("publisher configuration from the config file")
struct PublisherConfigurationMappingTests {
    @Test("the config file's socket and client settings map onto the publisher's")
    func daemonConfigurationMapsOntoPublisherConfiguration() throws {
        let configuration = try DaemonConfiguration.parse("""
            [socket]
            path = "/run/occlumesh/test.sock"
            mode = 0o640
            group = "video"
            [clients]
            max_clients = 3
            queue_capacity = 7
            stall_timeout = 2.5
            handshake_timeout = 1.5
            send_buffer_bytes = 0
            """)
        #expect(
            PublisherConfiguration(configuration, serverName: "test") == PublisherConfiguration(
                socketPath: "/run/occlumesh/test.sock", socketMode: 0o640, socketGroup: "video", maximumClients: 3,
                queueCapacity: 7, stallTimeout: 2.5, handshakeTimeout: 1.5, sendBufferSize: nil, serverName: "test"))
        #expect(PublisherConfiguration(DaemonConfiguration()).socketGroup == nil, "an empty group keeps the process's")
        #expect(PublisherConfiguration(DaemonConfiguration()).sendBufferSize == 262_144)
    }
}
