import DaemonConfiguration
import DaemonRuntime
import Dispatch
import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import Synchronization
import SystemdNotify
import UnixSocket
import Testing

/// The watchdog heartbeat on a real notification socket, and signal delivery to a real process (this one).
@Suite("daemon runtime", .serialized)
struct DaemonRuntimeTests {
    @Test("the watchdog is fed only while the pipeline beats")
    func watchdogIsFedOnlyWhileThePipelineBeats() throws {
        let name = "@occlumesh-watchdog-test-\(UUID().uuidString.prefix(8))"
        let listener = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
        defer { close(listener) }
        #expect(try UnixSocketAddress(name).withSocketAddress { bind(listener, $0, $1) } == 0)
        /// Waits up to `seconds` (absence is checked over 15 ticks; presence gets a generous margin for a loaded machine).
        func receive(within seconds: Int = 5) -> String? {
            var timeout = seconds == 0 ? timeval(tv_sec: 0, tv_usec: 300_000) : timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(listener, &buffer, buffer.count, 0)
            return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
        }

        let heartbeat = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: name), interval: 0.02) { "30 fps, 1 client" }
        heartbeat.start()
        defer { heartbeat.stop() }
        #expect(receive(within: 0) == nil, "no ping before the pipeline made progress")
        heartbeat.beat()
        #expect(receive() == "WATCHDOG=1\nSTATUS=30 fps, 1 client\n")
        #expect(receive(within: 0) == nil, "no further ping while the pipeline is stuck")
        heartbeat.beat()
        heartbeat.beat()
        #expect(receive() == "WATCHDOG=1\nSTATUS=30 fps, 1 client\n")
        #expect(heartbeat.count == 3)
    }

    @Test("signals arrive as callbacks, in order")
    func signalsArriveAsCallbacks() {
        let received = Mutex<[Int32]>([])
        let delivered = DispatchSemaphore(value: 0)
        let events = SignalEvents(signals: [SIGHUP, SIGUSR2], queue: DispatchQueue(label: "signals")) { number in
            received.withLock { $0.append(number) }
            delivered.signal()
        }
        defer { events.cancel() }
        kill(getpid(), SIGHUP)
        #expect(delivered.wait(timeout: .now() + 10) == .success)
        kill(getpid(), SIGUSR2)
        #expect(delivered.wait(timeout: .now() + 10) == .success)
        #expect(received.withLock { $0 } == [SIGHUP, SIGUSR2])
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
