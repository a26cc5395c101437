import DaemonConfiguration
import Logging
import Synchronization

/// The daemon's log: a swift-log `Logger` whose level a reload may change, shared by the daemon's threads.
public final class DaemonLog: Sendable {
    private let lockedLogger: Mutex<Logger>

    /// A log writing lines at or above `level` through `handler` (standard error, with journald priorities when it
    /// is the journal, by default).
    public init(level: DaemonConfiguration.LogLevel, handler: any LogHandler = JournalLogHandler.standardError(label: "occlumeshd")) {
        var logger = Logger(label: "occlumeshd") { _ in handler }
        logger.logLevel = Logger.Level(level)
        self.lockedLogger = Mutex(logger)
    }

    /// A log writing lines at or above `level` to `write`, plain (tests).
    public convenience init(level: DaemonConfiguration.LogLevel, write: @escaping @Sendable (String) -> Void) {
        self.init(level: level, handler: JournalLogHandler(label: "occlumeshd", writesPriority: false, write: write))
    }

    /// The logger as it is now (its level included), for libraries that log through swift-log themselves.
    public var logger: Logger { lockedLogger.withLock { $0 } }

    /// Changes the least severe level written.
    public func setLevel(_ newLevel: DaemonConfiguration.LogLevel) { lockedLogger.withLock { $0.logLevel = Logger.Level(newLevel) } }

    /// Writes `message` if `severity` is at or above the current level.
    public func log(_ severity: DaemonConfiguration.LogLevel, _ message: @autoclosure () -> String) {
        let logger = self.logger
        logger.log(level: Logger.Level(severity), "\(message())")
    }
}

extension Logger.Level {
    /// The swift-log level of the config's `log.level` (the names are swift-log's).
    init(_ level: DaemonConfiguration.LogLevel) {
        self = Logger.Level(rawValue: level.rawValue)!
    }
}
