import Foundation
import UnixSocket

/// The built `occlumeshd`, run as systemd would run it: its own process, a config file, signals.
final class DaemonProcess {
    /// The executable, built beside this test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("occlumeshd").path
    }

    let process = Process()
    let logPath: String

    /// Starts `occlumeshd arguments`, its standard error going to `logPath`.
    init(_ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// What the daemon logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits (up to `timeout` seconds) for the socket file to exist; false if the daemon exited or time ran out.
    func waitForSocket(_ path: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            if !process.isRunning { return false }
            usleep(20_000)
        }
        return false
    }

    /// Whether the daemon's process ignores `signal` (SigIgn of /proc/PID/status); false once it exited.
    func ignores(_ signal: Int32) -> Bool { signalMask("SigIgn") & (1 << UInt64(signal - 1)) != 0 }

    /// Whether the daemon's process has a handler for `signal` (SigCgt of /proc/PID/status); false once it exited.
    func handles(_ signal: Int32) -> Bool { signalMask("SigCgt") & (1 << UInt64(signal - 1)) != 0 }

    private func signalMask(_ field: String) -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }) else { return 0 }
        return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
    }

    /// Waits for the exit and returns the status; kills the daemon after `timeout` seconds.
    func waitForExit(timeout: Double = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `occlumeshd arguments` to its end and returns its exit status and log.
    static func run(_ arguments: [String], in folder: URL) throws -> (status: Int32, log: String) {
        let daemon = try DaemonProcess(arguments, logPath: folder.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).log").path)
        let status = daemon.waitForExit()
        return (status, daemon.log)
    }
}

/// A raw socket client that misbehaves on purpose.
struct RawClient {
    let descriptor: Int32

    init(socketPath: String) throws {
        descriptor = try Descriptor.connectedStream(to: try UnixSocketAddress(socketPath))
    }

    func send(_ bytes: [UInt8]) throws {
        let descriptor = self.descriptor
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SocketError) in try Descriptor.sendAll(descriptor, raw) } }
        try result.get()
    }

    /// Reads until the server closes the connection (or `timeout` seconds pass); true if it closed.
    func serverCloses(timeout: Double = 20) -> Bool {
        var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard poll(&pollDescriptor, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return true }
        }
        return false
    }

    func close() { Glibc.close(descriptor) }
}
