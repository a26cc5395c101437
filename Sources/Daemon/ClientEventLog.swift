import DaemonConfiguration
import MeshProtocol
import MeshPublisher
import MonotonicTime
import Synchronization
import VideoIngest

/// Writes the mesh socket's per-client events (connect, subscribe, disconnect) to the daemon's log at a bounded
/// rate, so that no client, and no crowd of short-lived clients, can fill the journal: each client gets a small
/// budget of lines of its own, and all client lines together share a larger one. Lines held back are counted and
/// the count is written with the next line let through. Other publisher events are always written.
final class ClientEventLog: Sendable {
    /// A token bucket: up to `burst` lines at once, refilled at `perSecond`.
    struct Budget {
        let burst: Double
        let perSecond: Double
        var tokens: Double
        var last: Double

        init(burst: Double, perSecond: Double, now: Double) {
            self.burst = burst
            self.perSecond = perSecond
            tokens = burst
            last = now
        }

        /// Takes one line's worth if there is one.
        mutating func take(now: Double) -> Bool {
            tokens = min(burst, tokens + max(0, now - last) * perSecond)
            last = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    struct State {
        var all: Budget
        var perClient: [Int: Budget] = [:]
        var heldBack = 0
    }

    /// Lines one client may write at once, and per second after that.
    static let clientBurst = 4.0, clientPerSecond = 0.5
    /// Lines all clients together may write at once, and per second after that.
    static let totalBurst = 40.0, totalPerSecond = 5.0

    private let state: Mutex<State>
    private let log: DaemonLog
    private let clock: @Sendable () -> Double

    init(log: DaemonLog, clock: @escaping @Sendable () -> Double = { MonotonicClock.now() }) {
        self.log = log
        self.clock = clock
        state = Mutex(State(all: Budget(burst: Self.totalBurst, perSecond: Self.totalPerSecond, now: clock())))
    }

    /// Logs `event` (warnings for clients disconnected for misbehaving, info otherwise) if the budgets allow.
    func record(_ event: PublisherEvent) {
        let client: Int?
        switch event {
        case .clientConnected(let id), .clientSubscribed(let id, _), .clientDisconnected(let id, _): client = id
        case .clientRefused: client = -1
        default: client = nil
        }
        let severity: DaemonConfiguration.LogLevel
        switch event {
        case .clientDisconnected(_, let reason) where reason != .closedByClient && reason != .serverStopping: severity = .warning
        case .clientRefused: severity = .warning
        default: severity = .info
        }
        guard let client else {
            log.log(severity, "\(event)")
            return
        }
        let now = clock()
        let (admitted, heldBack) = state.withLock { state -> (Bool, Int) in
            var budget = state.perClient[client] ?? Budget(burst: Self.clientBurst, perSecond: Self.clientPerSecond, now: now)
            let admitted = budget.take(now: now) && state.all.take(now: now)
            if case .clientDisconnected = event {
                state.perClient[client] = nil
            } else {
                state.perClient[client] = budget
            }
            guard admitted else {
                state.heldBack += 1
                return (false, 0)
            }
            defer { state.heldBack = 0 }
            return (true, state.heldBack)
        }
        guard admitted else { return }
        let note = heldBack > 0 ? " (\(heldBack) client event\(heldBack == 1 ? "" : "s") not logged before this)" : ""
        log.log(severity, "\(event)\(note)")
    }
}
