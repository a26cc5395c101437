// occlumeshd: the streaming daemon. Reads frames from a camera, file or URL, reconstructs face meshes and serves
// them on a Unix socket (docs/protocol.md).

#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Daemon
import DaemonConfiguration
import Foundation

/// The process's entry point: puts signals in a known state before anything else runs, then parses the arguments.
@main
enum OcclumeshdMain {
    static func main() async {
        // Signals start from a known state whatever the parent left (as daemon(7) asks): SIGHUP, whose default action
        // is to terminate, ignored until the service handles it, so that a reload request while the daemon starts
        // cannot kill it (ignoring first also discards one left pending by the parent), then nothing blocked. The
        // service handles reloads from shortly after the config is read, before the pipeline exists included; a
        // SIGHUP in between is dropped.
        signal(SIGHUP, SIG_IGN)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        sigprocmask(SIG_SETMASK, &noSignals, nil)
        await Occlumeshd.main()
    }
}

/// `occlumeshd [--config PATH] [--source PATH|URL] [--socket PATH] [--realtime] [--wait-for-clients N]`: flags
/// override the file.
struct Occlumeshd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "occlumeshd",
        abstract: "Streams face meshes to clients of a Unix socket.",
        discussion: """
            Flags override the config file. Exit codes: 0 stopped (signal, or a file source ended), 1 the pipeline \
            failed, 64 bad usage, 66 the source cannot be opened, 69 a model or the socket is unavailable, \
            78 invalid config.
            """)

    @Option(help: ArgumentHelp("The config file (TOML); without it the documented defaults.", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("V4L2 device, video file or URL; overrides source.input.", valueName: "path|url"))
    var source: String?

    @Option(help: ArgumentHelp("Path of the mesh socket; overrides socket.path.", valueName: "path"))
    var socket: String?

    @Flag(help: "Play a file source at its own pace; sets source.realtime.")
    var realtime = false

    @Option(help: ArgumentHelp("Wait for this many subscribed clients before the first frame.", valueName: "count"))
    var waitForClients = 0

    func validate() throws {
        guard waitForClients >= 0 else { throw ValidationError("--wait-for-clients needs a count of 0 or more") }
    }

    func run() async throws {
        let overrides: @Sendable (inout DaemonConfiguration) -> Void = { [source, socket, realtime] configuration in
            if let source { configuration.source.input = source }
            if let socket { configuration.socket.path = socket }
            if realtime { configuration.source.realtime = true }
        }
        var configuration = DaemonConfiguration()
        do {
            if let config { configuration = try DaemonConfiguration.load(path: config) }
            overrides(&configuration)
            try configuration.validate()
        } catch {
            FileHandle.standardError.write(Data("occlumeshd: \(error)\n".utf8))
            Foundation.exit(ConfigurationError.exitCode)
        }
        let service = DaemonService(configuration: configuration, configurationPath: config, overrides: overrides,
                                    log: DaemonLog(level: configuration.log.level), waitForSubscribers: waitForClients)
        Foundation.exit(await service.run())
    }
}
