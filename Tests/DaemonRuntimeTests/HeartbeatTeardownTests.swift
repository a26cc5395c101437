import DaemonRuntime
import SystemdNotify
import Testing

/// The heartbeat must be safe to drop on every path: never started (a model failed to load), started and
/// stopped, stopped twice.
@Suite("watchdog heartbeat teardown")
struct HeartbeatTeardownTests {
    @Test("a heartbeat released without being started does not trap")
    func releasedWithoutStart() throws {
        var heartbeat: WatchdogHeartbeat? = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: nil), interval: 1)
        heartbeat?.beat()
        #expect(heartbeat?.count == 1)
        heartbeat = nil
    }

    @Test("stop without start, stop twice and start twice are all harmless")
    func repeatedCalls() throws {
        let unstarted = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: nil), interval: 1)
        unstarted.stop()
        unstarted.stop()
        let started = WatchdogHeartbeat(notifier: try SystemdNotifier(notifySocket: nil), interval: 1)
        started.start()
        started.start()
        started.stop()
        started.stop()
        started.start()
    }
}
