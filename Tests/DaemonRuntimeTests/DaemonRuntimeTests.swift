import DaemonConfiguration
import DaemonRuntime
import Foundation
import Glibc
import MeshPublisher
import Testing

/// The daemon's services in `occlumesh-systemd-probe`, a process of their own: the watchdog heartbeat on a real
/// notification socket, reloads and stops by real signals.
@Suite("daemon runtime")
struct DaemonRuntimeTests {
    @Test("the watchdog is fed only while the pipeline beats", arguments: [
        (hangAfter: 3.0, pingsWhileBeating: true), (hangAfter: 0, pingsWhileBeating: false),
    ])
    func watchdogIsFedOnlyWhileThePipelineBeats(hangAfter: Double, pingsWhileBeating: Bool) throws {
        // The probe beats once per synthetic frame, and --hang-after stops its frame loop as a hung pipeline would,
        // saying so on standard error. WATCHDOG_USEC 100 ms makes it tick every 50 ms. Windows are timed from what
        // the probe says (READY, the hang), not from its start, so a slow start on a loaded machine changes nothing.
        let probe = try SystemdProbeProcess(arguments: ["--hang-after", "\(hangAfter)"], watchdogMicroseconds: 100_000)
        let pings = { (messages: [String]) in messages.filter { $0.hasPrefix("WATCHDOG=1\n") } }
        let untilReady = probe.notifications(for: 30) { $0.hasPrefix("READY=1") }
        try #require(untilReady.last?.hasPrefix("READY=1") == true, "the probe is up: \(untilReady)")
        var beforeHang = untilReady + probe.notifications(for: 1)
        if pingsWhileBeating {
            #expect(pings(beforeHang).count >= 3, "pings while frames flow: \(beforeHang)")
            #expect(pings(beforeHang).allSatisfy { $0.contains("STATUS=") && $0.contains("frames published") }, "\(beforeHang)")
        }
        // Until the probe says its frame loop hangs, then one more tick for the beats it made before.
        let hangDeadline = Date().addingTimeInterval(30)
        while !probe.child.log.contains("simulating a hung pipeline"), Date() < hangDeadline {
            beforeHang += probe.notifications(for: 0.05)
        }
        #expect(Date() < hangDeadline, "the probe's frame loop hangs")
        beforeHang += probe.notifications(for: 0.2)
        if !pingsWhileBeating {
            #expect(pings(beforeHang).isEmpty, "no ping before the pipeline made progress: \(beforeHang)")
        }
        let afterHang = probe.notifications(for: 1.0)
        #expect(pings(afterHang).isEmpty, "no ping once the frame loop hangs: \(afterHang)")
    }

    @Test("each SIGHUP reloads; the first stop signal ends every service gracefully and removes the socket",
          arguments: [SIGINT, SIGTERM])
    func signalsReloadAndStopTheServices(stopSignal: Int32) throws {
        let probe = try SystemdProbeProcess()
        let untilReady = probe.notifications(for: 30) { $0.hasPrefix("READY=1") }
        try #require(untilReady.last?.hasPrefix("READY=1") == true, "the probe is up: \(untilReady)")
        for reload in 1...2 {
            kill(probe.child.processIdentifier, SIGHUP)
            let untilReloaded = probe.notifications(for: 30) { $0.hasPrefix("READY=1") }
            #expect(untilReloaded.first?.hasPrefix("RELOADING=1") == true, "reload \(reload): \(untilReloaded)")
            #expect(untilReloaded.last?.contains("STATUS=configuration re-read") == true, "reload \(reload): \(untilReloaded)")
        }
        #expect(probe.child.log.components(separatedBy: "configuration re-read").count - 1 == 2, "\(probe.child.log)")
        #expect(FileManager.default.fileExists(atPath: probe.socketPath), "serving until the stop signal")
        kill(probe.child.processIdentifier, stopSignal)
        let untilStopping = probe.notifications(for: 30) { $0.hasPrefix("STOPPING=1") }
        #expect(untilStopping.last?.hasPrefix("STOPPING=1") == true, "\(untilStopping)")
        // Every service (publisher, heartbeat, reload, stop) must end for the group, and so the process, to end.
        // (killed after 30 s otherwise, which is no normal exit).
        let status = probe.child.waitForExit(timeout: 30)
        #expect(probe.child.process.terminationReason == .exit && status == 0,
                "every service ended after the stop signal, exit 0: \(probe.child.log)")
        #expect(probe.child.log.contains("stopping on signal \(stopSignal)"), "\(probe.child.log)")
        #expect(!FileManager.default.fileExists(atPath: probe.socketPath), "the publisher removed its socket on the way out")
    }
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
