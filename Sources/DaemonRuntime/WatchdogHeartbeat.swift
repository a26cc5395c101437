import Dispatch
import Synchronization
import SystemdNotify

/// Feeds systemd's watchdog only while the pipeline makes progress.
///
/// The pipeline calls `beat()` for every frame it finishes; a timer on a queue of its own sends `WATCHDOG=1`
/// (and a `STATUS=` line) every `interval` seconds, but only if at least one beat arrived since the previous
/// tick. A hung pipeline therefore stops the pings, and systemd kills and restarts the service, whereas a
/// watchdog fed from a timer alone would only prove that the timer thread is alive.
public final class WatchdogHeartbeat: Sendable {
    private let beats = Atomic<UInt64>(0)
    private let lastReported = Mutex<UInt64>(0)
    /// Dispatch sources are thread-safe; Linux's Dispatch overlay just does not mark them `Sendable`.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    private let notifier: SystemdNotifier
    /// Where the timer is in its life. libdispatch traps when a source is released while suspended (never
    /// resumed), so every path, a heartbeat dropped unstarted because a model failed to load included, must end
    /// with the timer cancelled and resumed.
    private let phase = Mutex(Phase.created)

    private enum Phase {
        case created, running, stopped
    }

    /// Creates a stopped heartbeat.
    ///
    /// - Parameters:
    ///   - interval: seconds between ticks, normally `SystemdNotifier.watchdogInterval()` (half of `WatchdogSec`).
    ///   - status: produces the `STATUS=` text sent with each ping (fps, clients), or nil for none.
    public init(notifier: SystemdNotifier, interval: Double, status: (@Sendable () -> String)? = nil) {
        self.notifier = notifier
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "occlumesh.watchdog"))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let current = beats.load(ordering: .relaxed)
            let advanced = lastReported.withLock { last -> Bool in
                defer { last = current }
                return current != last
            }
            guard advanced else { return }
            var states: [NotifyState] = [.watchdog]
            if let status { states.append(.status(status())) }
            try? notifier.notify(states)
        }
    }

    /// Records progress: call once per frame that made it through the pipeline.
    public func beat() {
        beats.add(1, ordering: .relaxed)
    }

    /// Beats so far.
    public var count: UInt64 { beats.load(ordering: .relaxed) }

    /// Starts ticking; does nothing if already started or stopped.
    public func start() {
        phase.withLock { phase in
            guard phase == .created else { return }
            phase = .running
            timer.resume()
        }
    }

    /// Stops ticking for good; safe to call before `start()` and more than once.
    public func stop() {
        phase.withLock { phase in
            switch phase {
            case .created:
                // Cancelled first, so resuming (which releasing requires) runs no handler.
                timer.cancel()
                timer.resume()
            case .running:
                timer.cancel()
            case .stopped:
                break
            }
            phase = .stopped
        }
    }

    deinit {
        stop()
    }
}
