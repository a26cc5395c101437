import ServiceLifecycle
import Synchronization
import SystemdNotify

/// Feeds systemd's watchdog only while the pipeline makes progress.
///
/// The pipeline calls `beat()` for every frame it finishes; the service sends `WATCHDOG=1` (and a `STATUS=` line)
/// every `interval` seconds, but only if at least one beat arrived since the previous tick. A hung pipeline
/// therefore stops the pings, and systemd kills and restarts the service, whereas a watchdog fed from a timer alone
/// would only prove that the timer is alive. In a `ServiceGroup` it runs until its graceful shutdown, which comes
/// after that of every service listed after it (the pipeline), so the watchdog is fed while the pipeline drains.
public final class WatchdogHeartbeat: Service {
    private let beats = Atomic<UInt64>(0)
    private let notifier: SystemdNotifier
    private let interval: Duration
    private let status: (@Sendable () -> String)?

    /// A heartbeat that ticks once `run()` runs.
    ///
    /// - Parameters:
    ///   - interval: seconds between ticks, normally `SystemdNotifier.watchdogInterval()` (half of `WatchdogSec`).
    ///   - status: produces the `STATUS=` text sent with each ping (fps, clients), or nil for none.
    public init(notifier: SystemdNotifier, interval: Double, status: (@Sendable () -> String)? = nil) {
        self.notifier = notifier
        self.interval = .seconds(max(interval, 0.001))
        self.status = status
    }

    /// Records progress: call once per frame that made it through the pipeline.
    public func beat() {
        beats.add(1, ordering: .relaxed)
    }

    /// Beats so far.
    public var count: UInt64 { beats.load(ordering: .relaxed) }

    /// Ticks until graceful shutdown or cancellation.
    public func run() async {
        try? await cancelWhenGracefulShutdown { [self] in
            var lastReported = count
            while true {
                try await Task.sleep(for: interval)
                let current = count
                guard current != lastReported else { continue }
                lastReported = current
                var states: [NotifyState] = [.watchdog]
                if let status { states.append(.status(status())) }
                try? notifier.notify(states, dropWhenBusy: true)
            }
        }
    }
}
