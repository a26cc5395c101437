import Foundation
import Glibc
import UnixSocket

/// `occlumesh-systemd-probe` (the daemon's services around synthetic frames) running in a process of its own, with a
/// real notification socket to hear what it tells systemd and a log file for what it writes to standard error.
///
/// The services run in that process so that no test can starve them: signals reach a `UnixSignalsSequence` through
/// Swift concurrency's shared threads (`cancelOnGracefulShutdown` merges in an unstructured task), which blocking tests
/// elsewhere in this process can hold for tens of seconds on a 2-core machine.
final class SystemdProbeProcess {
    /// The running probe.
    let process = Process()
    /// Where the probe's config points its mesh socket.
    let socketPath: String
    private let folder: URL
    private let logPath: String
    private let listener: Int32

    /// Starts the probe with `arguments` after `--config`; `watchdogMicroseconds` is its WATCHDOG_USEC, if any.
    init(arguments: [String] = [], watchdogMicroseconds: Int? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        socketPath = folder.appendingPathComponent("mesh.sock").path
        logPath = folder.appendingPathComponent("probe.log").path
        let config = folder.appendingPathComponent("probe.toml")
        try "[socket]\npath = \"\(socketPath)\"\n".write(to: config, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let name = "@occlumesh-probe-test-\(UUID().uuidString.prefix(8))"
        listener = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
        guard try UnixSocketAddress(name).withSocketAddress({ bind(listener, $0, $1) }) == 0 else {
            close(listener)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("occlumesh-systemd-probe")
        process.arguments = ["--config", config.path] + arguments
        process.environment = ["NOTIFY_SOCKET": name].merging(
            watchdogMicroseconds.map { ["WATCHDOG_USEC": "\($0)"] } ?? [:]) { first, _ in first }
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        close(listener)
        try? FileManager.default.removeItem(at: folder)
    }

    /// What the probe has written to standard error so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The notifications that arrive within `seconds`, or until one satisfies `stop` (that one included).
    func notifications(for seconds: Double, until stop: (String) -> Bool = { _ in false }) -> [String] {
        var received: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
            setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(listener, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
            if stop(received.last!) { break }
        }
        return received
    }

    /// Whether the probe exits within `seconds`.
    func exits(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }
}
