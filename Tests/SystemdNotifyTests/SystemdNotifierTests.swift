import Foundation
import Glibc
import Synchronization
import SystemdNotify
import Testing
import UnixSocket

/// Notifications received on a real datagram socket, as systemd's manager would receive them.
@Suite("systemd notifications")
struct SystemdNotifierTests {
    /// A bound datagram socket standing in for systemd's notification socket.
    private final class Listener {
        let descriptor: Int32

        init(address: UnixSocketAddress) throws {
            descriptor = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
            let bound = address.withSocketAddress { bind(descriptor, $0, $1) }
            #expect(bound == 0, "bind \(address): \(errorText(errno))")
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(descriptor) }

        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }

    @Test("a path socket receives READY, STATUS, WATCHDOG and STOPPING")
    func pathSocketReceivesReadyStatusWatchdogAndStopping() throws {
        let directory = "/tmp/ocm-notify-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/notify"
        let listener = try Listener(address: try UnixSocketAddress(path))
        let notifier = try SystemdNotifier(notifySocket: path)
        #expect(notifier.isEnabled)
        try notifier.ready(status: "30.0 fps, 2 clients")
        #expect(listener.receive() == "READY=1\nSTATUS=30.0 fps, 2 clients\n")
        try notifier.watchdog()
        #expect(listener.receive() == "WATCHDOG=1\n")
        try notifier.status("two\nlines")
        #expect(listener.receive() == "STATUS=two lines\n")
        try notifier.stopping()
        #expect(listener.receive() == "STOPPING=1\nSTATUS=stopping\n")
    }

    @Test("periodic notifications fail at once when systemd's socket is full instead of waiting")
    func periodicNotificationsDoNotWaitOnAFullSocket() throws {
        let name = "@occlumesh-notify-full-\(UUID().uuidString.prefix(8))"
        let listener = try Listener(address: try UnixSocketAddress(name))
        let notifier = try SystemdNotifier(notifySocket: name)
        // Nobody reads `listener`: its queue fills after some hundreds of pings. A ping that waited for room would
        // never return, so the pings run on a thread of their own and the test waits a bounded time for them.
        let outcome = Mutex<(pings: Int, error: SystemdNotifyError?)>((0, nil))
        let finished = DispatchSemaphore(value: 0)
        Thread {
            for ping in 1...100_000 {
                do { try notifier.watchdog() } catch {
                    outcome.withLock { $0 = (ping, error as? SystemdNotifyError) }
                    break
                }
            }
            finished.signal()
        }.start()
        #expect(finished.wait(timeout: .now() + 20) == .success, "a watchdog ping waited on the full socket")
        let (pings, error) = outcome.withLock { $0 }
        guard case .socket(let socketError)? = error else {
            Issue.record("100,000 pings without a full socket, or another error: \(String(describing: error))")
            return
        }
        #expect(socketError.errorNumber == EAGAIN)
        #expect(pings > 1)
        withExtendedLifetime(listener) {}
    }

    @Test("an abstract-namespace address receives notifications")
    func abstractNamespaceAddress() throws {
        let name = "@occlumesh-notify-test-\(UUID().uuidString.prefix(8))"
        let listener = try Listener(address: try UnixSocketAddress(name))
        let notifier = try SystemdNotifier(notifySocket: name)
        try notifier.notify([.reloading, .monotonicMicroseconds(1234), .ready])
        #expect(listener.receive() == "RELOADING=1\nMONOTONIC_USEC=1234\nREADY=1\n")
    }

    @Test("a missing socket turns notifications off; an unusable one is an error")
    func missingOrUnusableSocket() throws {
        let off = try SystemdNotifier(notifySocket: nil)
        #expect(!off.isEnabled)
        #expect(throws: Never.self) { try off.ready(status: "nobody listens") }
        #expect(throws: SystemdNotifyError.unsupportedAddress("vsock:2:1234")) {
            try SystemdNotifier(notifySocket: "vsock:2:1234")
        }
        let nobody = try SystemdNotifier(notifySocket: "/tmp/ocm-no-such-notify-socket")
        let error = #expect(throws: SystemdNotifyError.self) { try nobody.watchdog() }
        guard case .socket(let socketError)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(socketError.errorNumber == ENOENT)
    }

    @Test("watchdog interval is half the configured timeout for this process")
    func watchdogIntervalIsHalfTheConfiguredTimeoutForThisProcess() {
        #expect(SystemdNotifier.watchdogInterval(watchdogMicroseconds: "10000000", watchdogProcess: nil, processIdentifier: 7) == 5)
        #expect(SystemdNotifier.watchdogInterval(watchdogMicroseconds: "4000000", watchdogProcess: "7", processIdentifier: 7) == 2)
        #expect(SystemdNotifier.watchdogInterval(watchdogMicroseconds: "4000000", watchdogProcess: "8", processIdentifier: 7) == nil)
        #expect(SystemdNotifier.watchdogInterval(watchdogMicroseconds: nil, watchdogProcess: nil, processIdentifier: 7) == nil)
        #expect(SystemdNotifier.watchdogInterval(watchdogMicroseconds: "0", watchdogProcess: nil, processIdentifier: 7) == nil)
    }
}
