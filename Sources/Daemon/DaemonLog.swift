import DaemonConfiguration
import Foundation
import Synchronization

/// The daemon's log: one line per message on standard error (journald adds the time), filtered by a level that
/// a reload may change.
public final class DaemonLog: Sendable {
    private let level: Mutex<DaemonConfiguration.LogLevel>
    private let write: @Sendable (String) -> Void

    /// A log writing lines at or above `level` to `write` (standard error by default).
    public init(level: DaemonConfiguration.LogLevel,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.level = Mutex(level)
        self.write = write
    }

    /// Changes the least severe level written.
    public func setLevel(_ newLevel: DaemonConfiguration.LogLevel) { level.withLock { $0 = newLevel } }

    /// Writes `message` if `severity` is at or above the current level.
    public func log(_ severity: DaemonConfiguration.LogLevel, _ message: @autoclosure () -> String) {
        let order = DaemonConfiguration.LogLevel.allCases
        let threshold = level.withLock { $0 }
        guard order.firstIndex(of: severity)! >= order.firstIndex(of: threshold)! else { return }
        write("occlumeshd \(severity.rawValue): \(message())")
    }
}
