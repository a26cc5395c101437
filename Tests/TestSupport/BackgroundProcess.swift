import Foundation

/// A long-running child (the daemon, the systemd probe) started by a test and left running while the test talks
/// to it: its standard error goes to a log file the test reads at any time, and it is never left behind.
public final class BackgroundProcess: @unchecked Sendable {
    /// The child; its `processIdentifier` is what signals go to.
    public let process = Process()
    /// Where the child's standard error is written.
    public let logPath: String

    /// Starts `executable arguments` (an absolute path, such as `Repository.builtExecutable("occlumeshd")`), its
    /// standard error going to `logPath` and its standard output to `/dev/null`.
    public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The process identifier, for `kill(2)`.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the child is still running.
    public var isRunning: Bool { process.isRunning }

    /// What the child wrote to standard error so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits (up to `timeout` seconds, polling every 20 ms) for `condition`; false if it never held, or the child
    /// exited first without it holding.
    public func waitUntil(timeout: Double = 60, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(20_000)
        }
        return condition()
    }

    /// Waits for a file (a socket, a FIFO) to appear at `path`; false if the child exited or time ran out first.
    public func waitForFile(_ path: String, timeout: Double = 60) -> Bool {
        waitUntil(timeout: timeout) { FileManager.default.fileExists(atPath: path) }
    }

    /// Whether the child ignores `signal` (SigIgn of /proc/PID/status); false once it exited.
    public func ignores(_ signal: Int32) -> Bool { signalMask("SigIgn") & (1 << UInt64(signal - 1)) != 0 }

    /// Whether the child has a handler for `signal` (SigCgt of /proc/PID/status); false once it exited.
    public func handles(_ signal: Int32) -> Bool { signalMask("SigCgt") & (1 << UInt64(signal - 1)) != 0 }

    private func signalMask(_ field: String) -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }) else { return 0 }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
    }

    /// Waits for the child to exit and returns its status; kills it (SIGKILL) after `timeout` seconds, so a hung
    /// child fails the test instead of hanging the suite.
    public func waitForExit(timeout: Double = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
