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
    @Test("the watchdog is fed only while the pipeline beats", arguments: [
        (hangAfter: 3.0, pingsWhileBeating: true), (hangAfter: 0, pingsWhileBeating: false),
    ])
    func watchdogIsFedOnlyWhileThePipelineBeats(hangAfter: Double, pingsWhileBeating: Bool) throws {
        // The systemd probe runs the heartbeat service in a process of its own (so no test can starve it): it beats
        // once per synthetic frame, and --hang-after stops its frame loop as a hung pipeline would, saying so on
        // standard error. WATCHDOG_USEC 100 ms makes it tick every 50 ms. Windows are timed from what the probe
        // says (READY, the hang), not from its start, so a slow start on a loaded machine changes nothing.
        let name = "@occlumesh-watchdog-test-\(UUID().uuidString.prefix(8))"
        let listener = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
        defer { close(listener) }
        #expect(try UnixSocketAddress(name).withSocketAddress { bind(listener, $0, $1) } == 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watchdog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("probe.toml"), logPath = folder.appendingPathComponent("probe.log").path
        try "[socket]\npath = \"\(folder.appendingPathComponent("mesh.sock").path)\"\n".write(to: config, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("occlumesh-systemd-probe")
        probe.arguments = ["--config", config.path, "--hang-after", "\(hangAfter)"]
        probe.environment = ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "100000"]
        probe.standardError = FileHandle(forWritingAtPath: logPath)
        try probe.run()
        defer {
            kill(probe.processIdentifier, SIGKILL)
            probe.waitUntilExit()
        }
        /// The notifications that arrive within `seconds`, or until one satisfies `stop`.
        func notifications(for seconds: Double, until stop: (String) -> Bool = { _ in false }) -> [String] {
            var received: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
                setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 512)
                let count = recv(listener, &buffer, buffer.count, 0)
                guard count > 0 else { continue }
                received.append(String(decoding: buffer[0..<count], as: UTF8.self))
                if stop(received.last!) { break }
            }
            return received
        }
        let pings = { (messages: [String]) in messages.filter { $0.hasPrefix("WATCHDOG=1\n") } }
        let untilReady = notifications(for: 30) { $0.hasPrefix("READY=1") }
        try #require(untilReady.last?.hasPrefix("READY=1") == true, "the probe is up: \(untilReady)")
        var beforeHang = untilReady + notifications(for: 1)
        if pingsWhileBeating {
            #expect(pings(beforeHang).count >= 3, "pings while frames flow: \(beforeHang)")
            #expect(pings(beforeHang).allSatisfy { $0.contains("STATUS=") && $0.contains("frames published") }, "\(beforeHang)")
        }
        // Until the probe says its frame loop hangs, then one more tick for the beats it made before.
        let hangDeadline = Date().addingTimeInterval(30)
        while !((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("simulating a hung pipeline"),
              Date() < hangDeadline {
            beforeHang += notifications(for: 0.05)
        }
        #expect(Date() < hangDeadline, "the probe's frame loop hangs")
        beforeHang += notifications(for: 0.2)
        if !pingsWhileBeating {
            #expect(pings(beforeHang).isEmpty, "no ping before the pipeline made progress: \(beforeHang)")
        }
        let afterHang = notifications(for: 1.0)
        #expect(pings(afterHang).isEmpty, "no ping once the frame loop hangs: \(afterHang)")
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
        let ended = await withTaskExecutorPreference(DedicatedThreadExecutor.shared) {
            await Self.finishes(within: 20) {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    try await Task.sleep(for: .milliseconds(200))
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
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
        let reloading = Task(executorPreference: DedicatedThreadExecutor.shared) { await reloads.run() }
        defer { reloading.cancel() }
        for expected in 1...2 {
            kill(getpid(), SIGHUP)
            let deadline = ContinuousClock.now + .seconds(10)
            while reloadCount.load(ordering: .relaxed) < expected, ContinuousClock.now < deadline { usleep(5_000) }
        }
        #expect(reloadCount.load(ordering: .relaxed) == 2)
        let stopped = await withTaskExecutorPreference(DedicatedThreadExecutor.shared) {
            await Self.finishes(within: 10) {
                async let stopping: Void = stops.run()
                kill(getpid(), SIGINT)
                await stopping
            }
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
