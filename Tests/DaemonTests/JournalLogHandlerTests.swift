#if canImport(Glibc)
import Glibc
#endif
import Daemon
import Foundation
import Logging
import Synchronization
import Testing

/// The daemon's swift-log handler: plain lines on a terminal or file, `<N>` syslog priorities when standard error is
/// the journal's stream (JOURNAL_STREAM names its device and inode).
@Suite("journal log handler")
struct JournalLogHandlerTests {
    static func lines(writesPriority: Bool, level: Logger.Level = .info, _ body: (Logger) -> Void) -> [String] {
        let lines = Mutex<[String]>([])
        let handler = JournalLogHandler(label: "occlumeshd", writesPriority: writesPriority) { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "occlumeshd") { _ in handler }
        logger.logLevel = level
        body(logger)
        return lines.withLock { $0 }
    }

    @Test("journal lines carry the syslog priority of their level; plain lines do not")
    func priorities() {
        let journal = Self.lines(writesPriority: true, level: .debug) { logger in
            logger.debug("d"); logger.info("i"); logger.notice("n"); logger.warning("w"); logger.error("e"); logger.critical("c")
        }
        #expect(journal == ["<7>occlumeshd debug: d", "<6>occlumeshd info: i", "<5>occlumeshd notice: n",
                            "<4>occlumeshd warning: w", "<3>occlumeshd error: e", "<2>occlumeshd critical: c"])
        let plain = Self.lines(writesPriority: false) { logger in logger.debug("hidden"); logger.warning("w") }
        #expect(plain == ["occlumeshd warning: w"])
    }

    @Test("a message holding a line break stays one line")
    func oneLine() {
        let lines = Self.lines(writesPriority: false) { logger in logger.error("client said \"a\nb\"") }
        #expect(lines == ["occlumeshd error: client said \"a\\nb\""])
    }

    @Test("standard error is the journal only when JOURNAL_STREAM names its device and inode")
    func journalDetection() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString.prefix(8))").path
        let descriptor = open(path, O_CREAT | O_WRONLY, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        let stream = "\(status.st_dev):\(status.st_ino)"
        #expect(JournalLogHandler.isJournal(descriptor: descriptor, environment: ["JOURNAL_STREAM": stream]))
        #expect(!JournalLogHandler.isJournal(descriptor: descriptor, environment: [:]))
        #expect(!JournalLogHandler.isJournal(descriptor: descriptor, environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"]))
        #expect(!JournalLogHandler.isJournal(descriptor: descriptor, environment: ["JOURNAL_STREAM": "garbage"]))
    }

    @Test("the daemon log's level follows a reload")
    func reloadableLevel() {
        let lines = Mutex<[String]>([])
        let log = DaemonLog(level: .warning) { line in lines.withLock { $0.append(line) } }
        log.log(.info, "before")
        log.setLevel(.info)
        log.log(.info, "after")
        #expect(lines.withLock { $0 } == ["occlumeshd info: after"])
    }
}
