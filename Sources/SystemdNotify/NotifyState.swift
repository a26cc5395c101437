/// One `KEY=VALUE` line of a systemd notification (see sd_notify(3)).
public enum NotifyState: Sendable, Equatable {
    /// `READY=1`: start-up finished (model loaded, source open); `Type=notify` units become active.
    case ready
    /// `RELOADING=1`: a configuration reload started; send `ready` when it is done.
    case reloading
    /// `STOPPING=1`: shutdown started.
    case stopping
    /// `WATCHDOG=1`: the service is alive; must come more often than `WatchdogSec`.
    case watchdog
    /// `STATUS=…`: one line shown by `systemctl status`.
    case status(String)
    /// `MONOTONIC_USEC=…`: with `reloading`, the time the reload began (needed by `Type=notify-reload`).
    case monotonicMicroseconds(UInt64)

    /// The line sent, without its newline. Newlines in a status become spaces: they would end the line.
    public var line: String {
        switch self {
        case .ready: return "READY=1"
        case .reloading: return "RELOADING=1"
        case .stopping: return "STOPPING=1"
        case .watchdog: return "WATCHDOG=1"
        case .status(let text): return "STATUS=" + String(text.map { $0.isNewline ? " " : $0 })
        case .monotonicMicroseconds(let value): return "MONOTONIC_USEC=\(value)"
        }
    }
}
