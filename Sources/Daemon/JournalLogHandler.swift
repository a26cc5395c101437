#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A swift-log handler writing one line per message, `occlumeshd <level>: message`, to standard error. When standard
/// error is the systemd journal's stream, each line starts with its syslog priority (`<3>` for error … `<7>` for
/// debug), which journald reads as the message's priority and strips; on a terminal or in a file lines are plain.
public struct JournalLogHandler: LogHandler {
    /// The least severe level written (Logger checks it before calling `log(event:)`).
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every message (written after it as `key=value`).
    public var metadata: Logger.Metadata = [:]
    /// Unused: the daemon attaches no contextual metadata.
    public var metadataProvider: Logger.MetadataProvider?
    /// Whether lines carry the `<N>` priority prefix.
    public let writesPriority: Bool
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler naming messages `label`, writing lines (without their newline) to `write`; `writesPriority` decides
    /// the `<N>` prefix.
    public init(label: String, writesPriority: Bool, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.writesPriority = writesPriority
        self.write = write
    }

    /// A handler writing to standard error, with priority prefixes when standard error is the journal.
    public static func standardError(label: String) -> JournalLogHandler {
        JournalLogHandler(label: label, writesPriority: isJournal(descriptor: STDERR_FILENO)) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Whether `descriptor` is the journal's stream: systemd sets `JOURNAL_STREAM` to `device:inode` of the stream
    /// it connects to a service's standard output and error (systemd.exec(5)); a descriptor redirected elsewhere
    /// has another device or inode.
    public static func isJournal(descriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// The syslog priority (sd-daemon(3)) of a swift-log level.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Writes one line for `event`.
    public func log(event: LogEvent) {
        var line = writesPriority ? "<\(Self.priority(of: event.level))>" : ""
        line += "\(label) \(event.level.rawValue): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        // One message, one line: a line break inside a message (from a quoted client or file) is shown, not written.
        write(String(line.flatMap { $0.isNewline ? Array("\\n") : [$0] }))
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
