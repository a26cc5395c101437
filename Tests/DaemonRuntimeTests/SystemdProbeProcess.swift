import Foundation
import Glibc
import TestSupport
import UnixSocket

/// `occlumesh-systemd-probe` (the daemon's services around synthetic frames) running in a process of its own, with a
/// real notification socket to hear what it tells systemd.
///
/// The services run in that process so that no test can starve them: signals reach a `UnixSignalsSequence` through
/// Swift concurrency's shared threads (`cancelOnGracefulShutdown` merges in an unstructured task), which blocking tests
/// elsewhere in this process can hold for tens of seconds on a 2-core machine.
final class SystemdProbeProcess {
    /// The running probe; its log is what it writes to standard error.
    let child: BackgroundProcess
    /// Where the probe's config points its mesh socket.
    let socketPath: String
    private let directory = TemporaryDirectory("probe")
    private let listener: Int32

    /// Starts the probe with `arguments` after `--config`; `watchdogMicroseconds` is its WATCHDOG_USEC, if any.
    init(arguments: [String] = [], watchdogMicroseconds: Int? = nil) throws {
        socketPath = directory.url.appendingPathComponent("mesh.sock").path
        let config = directory.url.appendingPathComponent("probe.toml")
        try "[socket]\npath = \"\(socketPath)\"\n".write(to: config, atomically: true, encoding: .utf8)
        let name = "@occlumesh-probe-test-\(UUID().uuidString.prefix(8))"
        let listener = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: false)
        guard try UnixSocketAddress(name).withSocketAddress({ bind(listener, $0, $1) }) == 0 else {
            close(listener)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
        self.listener = listener
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var environment = ["NOTIFY_SOCKET": name]
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = "\(watchdogMicroseconds)" }
        child = try BackgroundProcess(Repository.builtExecutable("occlumesh-systemd-probe"),
                                      ["--config", config.path] + arguments,
                                      logPath: directory.url.appendingPathComponent("probe.log").path,
                                      environment: environment)
    }

    deinit {
        _ = child.waitForExit(timeout: 0)
        close(listener)
    }

    /// The notifications that arrive within `seconds`, or until one satisfies `stop` (that one included).
    func notifications(for seconds: Double, until stop: (String) -> Bool = { _ in false }) -> [String] {
        var received: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = recv(listener, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            received.append(String(decoding: buffer[0..<count], as: UTF8.self))
            if stop(received.last!) { break }
        }
        return received
    }
}
