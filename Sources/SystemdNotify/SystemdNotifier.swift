#if canImport(Glibc)
import Glibc
#endif
import UnixSocket

/// Our own client of systemd's notification socket (`NOTIFY_SOCKET`), so the daemon needs no libsystemd.
///
/// A notification is one datagram of newline-separated `KEY=VALUE` lines sent to the `AF_UNIX` address in
/// `NOTIFY_SOCKET`: a path, or `@name` for the abstract namespace. Without `NOTIFY_SOCKET` (not started by
/// systemd, or `Type=simple`) every call does nothing.
public struct SystemdNotifier: Sendable {
    /// Where notifications go, or nil when not running under a notify-type unit.
    public let address: UnixSocketAddress?

    /// Reads `NOTIFY_SOCKET` from the process environment.
    public init() throws(SystemdNotifyError) {
        try self.init(notifySocket: getenv("NOTIFY_SOCKET").map { String(cString: $0) })
    }

    /// Uses `notifySocket` as the value of `NOTIFY_SOCKET` (nil or empty: notifications are off).
    public init(notifySocket: String?) throws(SystemdNotifyError) {
        guard let notifySocket, !notifySocket.isEmpty else {
            address = nil
            return
        }
        guard notifySocket.hasPrefix("/") || notifySocket.hasPrefix("@") else {
            throw .unsupportedAddress(notifySocket)
        }
        do { address = try UnixSocketAddress(notifySocket) } catch { throw .socket(error) }
    }

    /// Whether notifications are sent anywhere.
    public var isEnabled: Bool { address != nil }

    /// Sends `states` in one datagram.
    ///
    /// - Parameter dropWhenBusy: for periodic notifications (watchdog pings, status lines): when systemd's socket has
    ///   no room, fail at once with `EAGAIN` instead of waiting, so a stalled manager cannot hold the caller's thread.
    ///   The next tick sends a fresh one. State changes (READY, RELOADING, STOPPING) wait.
    public func notify(_ states: [NotifyState], dropWhenBusy: Bool = false) throws(SystemdNotifyError) {
        guard let address, !states.isEmpty else { return }
        let message = states.map(\.line).joined(separator: "\n") + "\n"
        let descriptor: Int32
        do { descriptor = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false) } catch {
            throw .socket(error)
        }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let flags = Int32(MSG_NOSIGNAL) | (dropWhenBusy ? Int32(MSG_DONTWAIT) : 0)
        let sent = address.withSocketAddress { pointer, length in
            bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, flags, pointer, length) }
        }
        guard sent == bytes.count else {
            throw .socket(.systemCall("sendto", sent < 0 ? errno : EMSGSIZE, address.text))
        }
    }

    /// `READY=1`, with a status line.
    public func ready(status: String) throws(SystemdNotifyError) { try notify([.ready, .status(status)]) }

    /// `WATCHDOG=1`; dropped with an error rather than waiting when systemd's socket is full.
    public func watchdog() throws(SystemdNotifyError) { try notify([.watchdog], dropWhenBusy: true) }

    /// `STATUS=…`; dropped with an error rather than waiting when systemd's socket is full.
    public func status(_ text: String) throws(SystemdNotifyError) { try notify([.status(text)], dropWhenBusy: true) }

    /// `STOPPING=1`, with a status line.
    public func stopping(status: String = "stopping") throws(SystemdNotifyError) { try notify([.stopping, .status(status)]) }

    /// How often to send `WATCHDOG=1`, in seconds: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises; nil when the watchdog is off or meant for another process (`WATCHDOG_PID`).
    public static func watchdogInterval(
        watchdogMicroseconds: String? = getenv("WATCHDOG_USEC").map { String(cString: $0) },
        watchdogProcess: String? = getenv("WATCHDOG_PID").map { String(cString: $0) },
        processIdentifier: Int32 = getpid()
    ) -> Double? {
        guard let watchdogMicroseconds, let microseconds = UInt64(watchdogMicroseconds), microseconds > 0 else { return nil }
        if let watchdogProcess, !watchdogProcess.isEmpty, Int32(watchdogProcess) != processIdentifier { return nil }
        return Double(microseconds) / 2_000_000
    }
}

/// Why a notification could not be sent.
public enum SystemdNotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` is neither a path nor an `@` abstract name (e.g. `vsock:`), which we do not speak.
    case unsupportedAddress(String)
    /// Creating the socket or sending failed.
    case socket(SocketError)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .unsupportedAddress(let address): return "NOTIFY_SOCKET=\(address) is not an AF_UNIX path or @name"
        case .socket(let error): return "systemd notification failed: \(error)"
        }
    }
}
