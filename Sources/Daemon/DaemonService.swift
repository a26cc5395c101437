#if canImport(Glibc)
import Glibc
#endif
import DaemonConfiguration
import DaemonRuntime
import FacePipeline
import FaceSmoothing
import FaceTracking
import Foundation
import MeshProtocol
import MeshPublisher
import MonotonicTime
import Logging
import ProcessorSupport
import ServiceLifecycle
import Synchronization
import SystemdNotify
import VideoIngest

/// occlumeshd's lifecycle around the pipeline: open the source and models, serve the mesh socket, tell systemd
/// (READY, WATCHDOG from the pipeline's progress, STATUS, STOPPING), log and publish status periodically, reload
/// on request, stop gracefully.
public final class DaemonService: Sendable {
    /// Exit codes, from sysexits.h where one fits.
    public enum ExitCode {
        /// Stopped by a signal, or the file source ended.
        public static let success: Int32 = 0
        /// The pipeline failed while running (a source error, a stage error).
        public static let failure: Int32 = 1
        /// The source could not be opened (`EX_NOINPUT`).
        public static let noInput: Int32 = 66
        /// A model file or the socket is unavailable (`EX_UNAVAILABLE`).
        public static let unavailable: Int32 = 69
        /// The configuration is invalid (`EX_CONFIG`).
        public static let configuration: Int32 = 78
    }

    private let configurationPath: String?
    private let overrides: @Sendable (inout DaemonConfiguration) -> Void
    private let initial: DaemonConfiguration
    private let log: DaemonLog
    private let waitForSubscribers: Int
    private let state = Mutex(Running())
    /// Clients subscribed now: what `--wait-for-clients` counts.
    private let subscribedClients = SubscribedClients()

    struct Running {
        var pipeline: Pipeline?
        /// Why the pipeline ended, when it failed: the publisher's goodbye and the exit code say so.
        var pipelineFailure: PipelineError?
        /// Between READY and STOPPING: only then may a reload tell systemd RELOADING and READY.
        var serving = false
        var configuration: DaemonConfiguration
        init(configuration: DaemonConfiguration = DaemonConfiguration()) { self.configuration = configuration }
    }

    /// A service for `configuration` (already loaded and overridden).
    ///
    /// - Parameters:
    ///   - configurationPath: the file SIGHUP re-reads (nil: reload keeps the running settings).
    ///   - overrides: re-applies the command line's overrides after a reload.
    ///   - waitForSubscribers: file sources only: hold the first frame until this many clients subscribed, so
    ///     that they receive every frame of the file.
    public init(configuration: DaemonConfiguration, configurationPath: String?,
                overrides: @escaping @Sendable (inout DaemonConfiguration) -> Void = { _ in },
                log: DaemonLog, waitForSubscribers: Int = 0) {
        initial = configuration
        self.configurationPath = configurationPath
        self.overrides = overrides
        self.log = log
        self.waitForSubscribers = waitForSubscribers
        state.withLock { $0.configuration = configuration }
    }

    /// Runs until a stop signal, the end of a file source or a failure; returns the process's exit code.
    ///
    /// Starting (models, source, socket, pipeline) happens first, with reloads already handled; then the daemon runs
    /// as a `ServiceGroup` of five services, listed as publisher, watchdog heartbeat, status reporter, pipeline and
    /// stop signals (SIGTERM, SIGINT). They run side by side; a stop signal or the pipeline's own end shuts the group
    /// down in the reverse order of that list, each service ended before the next is asked: the stop signals, then
    /// the pipeline (drained), the status reporter and the heartbeat, and the publisher last (clients told goodbye).
    public func run() async -> Int32 {
        let notifier: SystemdNotifier
        do { notifier = try SystemdNotifier() } catch {
            log.log(.critical, "\(error)")
            return ExitCode.unavailable
        }
        // Reloads are handled from here on: while models load and the source opens, one updates the configuration
        // the pipeline will start with. (SIGTERM and SIGINT keep their default action until the pipeline exists,
        // so they end a daemon stuck opening its source at once.)
        let reloads = await ReloadSignalService { [self] in reload(notifier: notifier) }
        let reloading = Task { await reloads.run() }
        defer { reloading.cancel() }
        let started: StartedDaemon
        switch await onThreadOfItsOwn("occlumeshd.start", { [self] in start(notifier: notifier) }) {
        case .success(let parts): started = parts
        case .failure(let failure): return failure.exitCode
        }
        let stops = await StopSignalService { [log] number in log.log(.notice, "stopping on signal \(number)") }
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: PublisherService(publisher: started.publisher) { [self] in
                state.withLock { $0.pipelineFailure } == nil ? "server stopping" : "pipeline failed"
            }),
            .init(service: started.heartbeat),
            .init(service: StatusReporter(pipeline: started.pipeline, publisher: started.publisher, notifier: notifier, log: log,
                                          interval: started.configuration.log.statusInterval)),
            .init(service: PipelineService(daemon: self, pipeline: started.pipeline, notifier: notifier,
                                           description: started.description),
                  successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: stops, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: log.logger))
        do { try await group.run() } catch {
            log.log(.error, "\(error)")
            return ExitCode.failure
        }
        if let failure = state.withLock({ $0.pipelineFailure }) {
            log.log(.error, "\(failure)")
            return ExitCode.failure
        }
        log.log(.notice, "stopped")
        return ExitCode.success
    }

    /// What starting made: the parts the services run.
    private struct StartedDaemon: Sendable {
        let configuration: DaemonConfiguration
        let publisher: MeshPublisher
        let heartbeat: WatchdogHeartbeat
        let pipeline: Pipeline
        /// Source, size, kind and socket, for the ready line and systemd's status.
        let description: String
    }

    /// Why starting failed, already logged: the exit code says which part.
    private struct StartFailure: Error {
        let exitCode: Int32
    }

    /// Loads the models, opens the source and the socket, and builds the pipeline (not yet running); applies a reload
    /// made meanwhile. Blocks (a FIFO or camera opens when it opens), so it runs on a thread of its own.
    private func start(notifier: SystemdNotifier) -> Result<StartedDaemon, StartFailure> {
        let configuration = initial
        let settings = PipelineSettings(configuration)
        let models: PipelineModels
        do { models = try PipelineModels(settings: settings) } catch {
            log.log(.critical, "\(error)")
            return .failure(StartFailure(exitCode: ExitCode.unavailable))
        }
        let source: any FrameSource
        do { source = try Self.openSource(configuration.source) } catch {
            log.log(.critical, "cannot open source \(configuration.source.input): \(error)")
            return .failure(StartFailure(exitCode: ExitCode.noInput))
        }
        let format = source.format
        let live = source.isLive
        let publisher: MeshPublisher
        let clientLog = ClientEventLog(log: log)
        do {
            publisher = try MeshPublisher(configuration: PublisherConfiguration(configuration), topology: models.topology) {
                [self] event in
                switch event {
                case .clientSubscribed(let id, _): subscribedClients.insert(id)
                case .clientDisconnected(let id, _): subscribedClients.remove(id)
                default: break
                }
                clientLog.record(event)
            }
        } catch {
            log.log(.critical, "\(error)")
            return .failure(StartFailure(exitCode: ExitCode.unavailable))
        }
        let heartbeat = WatchdogHeartbeat(notifier: notifier, interval: SystemdNotifier.watchdogInterval() ?? 3600)
        let wanted = live ? 0 : waitForSubscribers
        var gate: (@Sendable () -> Void)?
        if wanted > 0 { gate = { @Sendable [self] in self.waitForClients(wanted) } }
        let sink = PublisherSink(publisher: publisher)
        log.log(.notice, ProcessorCheck.report)
        let pipeline: Pipeline
        do {
            pipeline = try Pipeline(source: source, inputName: configuration.source.input, settings: settings, models: models,
                                    sink: sink, gate: gate, progress: { heartbeat.beat() })
        } catch {
            log.log(.critical, "\(error)")
            publisher.stop()
            return .failure(StartFailure(exitCode: ExitCode.unavailable))
        }
        state.withLock { running in
            running.pipeline = pipeline
            if running.configuration != configuration {
                log.log(.notice, "applying the configuration reloaded while starting")
                pipeline.reload(smoothing: SmoothingSettings(running.configuration.smoothing),
                                minimumDetectionScore: Float(running.configuration.tracking.minimumConfidence))
            }
        }
        let description = "\(configuration.source.input) \(format.width)x\(format.height) \(live ? "live" : "file"), "
            + "socket \(configuration.socket.path)"
        return .success(StartedDaemon(configuration: configuration, publisher: publisher, heartbeat: heartbeat,
                                      pipeline: pipeline, description: description))
    }

    /// The pipeline as a service: starts its stage threads, tells systemd READY, and returns when the pipeline has
    /// ended — by the end of a file source, a failure (kept in the daemon's state), or its graceful shutdown, which stops
    /// decoding and lets the frames in flight reach the publisher first. Tells systemd STOPPING on the way out.
    private struct PipelineService: Service {
        let daemon: DaemonService
        let pipeline: Pipeline
        let notifier: SystemdNotifier
        let description: String

        func run() async {
            pipeline.run()
            daemon.log.log(.notice, "ready: \(description)")
            try? notifier.ready(status: "serving \(description)")
            daemon.state.withLock { $0.serving = true }
            let ended = await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await onThreadOfItsOwn("occlumeshd.wait") { [pipeline] in pipeline.wait() }
                } onGracefulShutdown: { [daemon] in daemon.stop() }
            } onCancel: { [daemon] in daemon.stop() }
            daemon.state.withLock { running in
                running.serving = false
                running.pipelineFailure = ended
            }
            try? notifier.stopping(status: ended.map { "failed: \($0)" } ?? "stopping")
            let final = pipeline.statistics
            daemon.log.log(.notice, final.summary(framesPerSecond: final.averageFramesPerSecond) + " (whole run)")
        }
    }

    /// Blocks until `count` distinct clients are subscribed at once, or a stop was requested.
    private func waitForClients(_ count: Int) {
        log.log(.notice, "waiting for \(count) clients to subscribe before the first frame")
        _ = subscribedClients.wait(forAtLeast: count)
    }

    /// Stops the pipeline gracefully: decoding ends (a wait for clients included) and the frames in flight still
    /// reach the publisher.
    private func stop() {
        let pipeline = state.withLock { $0.pipeline }
        subscribedClients.cancelWaits()
        pipeline?.stop()
    }

    /// Re-reads the config file and applies what can change while running: smoothing, the detector's minimum
    /// score, the log level. Other changes are logged as needing a restart; an invalid file changes nothing.
    /// A reload while the daemon starts is applied to the pipeline as soon as it exists.
    func reload(notifier: SystemdNotifier) {
        guard let configurationPath else { return }
        // systemd hears RELOADING and READY only between the first READY and STOPPING (checked under the lock that
        // the pipeline service changes `serving` with); a reload while starting is applied by start() when the
        // pipeline exists.
        state.withLock { running in
            if running.serving {
                try? notifier.notify([.reloading, .monotonicMicroseconds(UInt64(MonotonicClock.now() * 1_000_000))])
            }
        }
        defer {
            state.withLock { running in
                if running.serving { try? notifier.notify([.ready, .status("configuration reloaded")]) }
            }
        }
        var next: DaemonConfiguration
        do {
            next = try DaemonConfiguration.load(path: configurationPath)
            overrides(&next)
            try next.validate()
        } catch {
            log.log(.error, "reload refused, keeping the running configuration: \(error)")
            return
        }
        // Applied under the lock, so a reload and start()'s hand-over of a reload made while starting cannot
        // reach the pipeline in the wrong order.
        let previous = state.withLock { running in
            defer { running.configuration = next }
            running.pipeline?.reload(smoothing: SmoothingSettings(next.smoothing),
                                     minimumDetectionScore: Float(next.tracking.minimumConfidence))
            return running.configuration
        }
        log.setLevel(next.log.level)
        var unchanged = next
        unchanged.smoothing = previous.smoothing
        unchanged.tracking.minimumConfidence = previous.tracking.minimumConfidence
        unchanged.log = previous.log
        if unchanged != previous {
            log.log(.warning, "configuration reloaded; source, model, socket, client and tracking changes other than "
                    + "tracking.min_confidence take effect after a restart")
        } else {
            log.log(.notice, "configuration reloaded")
        }
    }

    /// Opens `source.input`: a V4L2 camera at the configured size and rate, or FFmpeg for files and URLs, scaled
    /// down (aspect kept) when larger than the configured size. Each input is opened once: a pipe or live stream
    /// opened twice would lose what the first opening read.
    static func openSource(_ source: DaemonConfiguration.Source) throws -> any FrameSource {
        var status = stat()
        if !source.input.contains("://"), stat(source.input, &status) == 0, (status.st_mode & S_IFMT) == S_IFCHR {
            return try V4L2CameraSource(device: source.input, options: .init(
                width: source.width > 0 ? source.width : 640, height: source.height > 0 ? source.height : 480,
                framesPerSecond: source.framesPerSecond > 0 ? source.framesPerSecond : 30))
        }
        let limit = source.width > 0 && source.height > 0 ? OutputSize(width: source.width, height: source.height) : nil
        return try FFmpegSource(input: source.input, options: .init(fitInside: limit))
    }
}

/// Every `interval` seconds: the pipeline's and publisher's counters to clients (status message), to the log, and
/// to systemd (STATUS=); a service that reports until its graceful shutdown.
struct StatusReporter: Service {
    let pipeline: Pipeline
    let publisher: MeshPublisher
    let notifier: SystemdNotifier
    let log: DaemonLog
    let interval: Double

    func run() async {
        try? await cancelWhenGracefulShutdown { [self] in
            var last = (time: MonotonicClock.now(), frames: UInt64(0))
            while true {
                try await Task.sleep(for: .seconds(interval))
                let statistics = pipeline.statistics
                let now = MonotonicClock.now()
                let fps = now > last.time ? Double(statistics.framesOut - last.frames) / (now - last.time) : 0
                last = (now, statistics.framesOut)
                // The log line is a blocking write (a stalled journal would hold one of the few shared threads).
                await onThreadOfItsOwn("occlumesh-status") { report(statistics, framesPerSecond: fps) }
            }
        }
    }

    private func report(_ statistics: PipelineStatistics, framesPerSecond fps: Double) {
        let resident = Self.residentMegabytes()
        publisher.publishStatus(statistics.counters(framesPerSecond: fps) + [StatusCounter("resident_mb", resident)])
        let clients = publisher.statistics.clients
        log.log(.info, statistics.summary(framesPerSecond: fps) + "; \(clients) clients; resident \(Int(resident.rounded())) MB")
        try? notifier.status("\(Int(fps.rounded())) fps, \(clients) clients, \(statistics.framesOut) frames")
    }

    /// The process's resident memory in MiB (from /proc/self/statm), 0 where unreadable.
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
