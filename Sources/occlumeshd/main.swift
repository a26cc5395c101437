// occlumeshd: the streaming daemon. Reads frames from a camera, file or URL, reconstructs face meshes and serves
// them on a Unix socket (docs/protocol.md).
//
//   occlumeshd [--config PATH] [--source PATH|URL] [--socket PATH] [--realtime] [--wait-for-clients N]
//
// Flags override the file. Exit codes: 0 stopped (signal, or a file source ended), 1 the pipeline failed,
// 64 bad usage, 66 the source cannot be opened, 69 a model or the socket is unavailable, 78 invalid config.

import Daemon
import DaemonConfiguration
import Foundation

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("occlumeshd: \(message)\nusage: occlumeshd [--config PATH] [--source PATH|URL] [--socket PATH] [--realtime] [--wait-for-clients N]\n".utf8))
    exit(64)
}

// Signals start from a known state whatever the parent left (as daemon(7) asks): SIGHUP, whose default action is to
// terminate, ignored until the service handles it, so that a reload request while the daemon starts cannot kill it
// (ignoring first also discards one left pending by the parent), then nothing blocked. The service handles reloads
// from shortly after the config below is read, before the pipeline exists included; a SIGHUP in between is dropped.
signal(SIGHUP, SIG_IGN)
var noSignals = sigset_t()
sigemptyset(&noSignals)
sigprocmask(SIG_SETMASK, &noSignals, nil)

nonisolated(unsafe) var arguments = CommandLine.arguments.dropFirst()

/// The argument after `flag`, or a usage error.
func value(after flag: String) -> String {
    guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
    return value
}

var configurationPath: String?
var source: String?
var socket: String?
var realtime = false
var waitForClients = 0
while let argument = arguments.popFirst() {
    switch argument {
    case "--config": configurationPath = value(after: argument)
    case "--source": source = value(after: argument)
    case "--socket": socket = value(after: argument)
    case "--realtime": realtime = true
    case "--wait-for-clients":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value >= 0 else { usage("--wait-for-clients needs a count") }
        waitForClients = value
    case "--help", "-h": usage("streams face meshes to clients of a Unix socket")
    default: usage("unknown argument \(argument)")
    }
}

let overrides: @Sendable (inout DaemonConfiguration) -> Void = { [source, socket, realtime] configuration in
    if let source { configuration.source.input = source }
    if let socket { configuration.socket.path = socket }
    if realtime { configuration.source.realtime = true }
}

var configuration = DaemonConfiguration()
do {
    if let configurationPath { configuration = try DaemonConfiguration.load(path: configurationPath) }
    overrides(&configuration)
    try configuration.validate()
} catch {
    FileHandle.standardError.write(Data("occlumeshd: \(error)\n".utf8))
    exit(ConfigurationError.exitCode)
}

let service = DaemonService(configuration: configuration, configurationPath: configurationPath, overrides: overrides,
                            log: DaemonLog(level: configuration.log.level), waitForSubscribers: waitForClients)
exit(service.run())
