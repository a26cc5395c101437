import ServiceLifecycle
import UnixSignals

/// The stop request as a service: waits for the first SIGTERM or SIGINT, hands its number to `onSignal`, and returns.
/// In a `ServiceGroup` with `successTerminationBehavior: .gracefullyShutdownGroup` that return begins the group's
/// ordered shutdown; graceful shutdown for another reason (a file source ended) ends it without a call.
///
/// The signals are trapped when the service is made, not when the group starts it, so that none sent once the
/// process is serving can kill it; until then they keep their default action (a daemon stuck opening its source
/// ends at once).
public struct StopSignalService: Service {
    private let signals: UnixSignalsSequence
    private let onSignal: @Sendable (Int32) -> Void

    /// Traps SIGTERM and SIGINT from now on.
    public init(onSignal: @escaping @Sendable (Int32) -> Void) async {
        signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        self.onSignal = onSignal
    }

    /// Returns after the first signal, or at graceful shutdown or cancellation.
    public func run() async {
        for await signal in signals.cancelOnGracefulShutdown() {
            onSignal(signal.rawValue)
            return
        }
    }
}

/// Reload requests as a service: every SIGHUP calls `onReload`, outside signal context, until graceful shutdown or
/// cancellation. SIGHUP is trapped when the service is made, so a daemon can handle reloads while it is still
/// starting by running the service in a task of its own before its `ServiceGroup` exists.
public struct ReloadSignalService: Service {
    private let signals: UnixSignalsSequence
    private let onReload: @Sendable () -> Void

    /// Traps SIGHUP from now on.
    public init(onReload: @escaping @Sendable () -> Void) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.onReload = onReload
    }

    /// Calls `onReload` for each SIGHUP until graceful shutdown or cancellation.
    public func run() async {
        for await _ in signals.cancelOnGracefulShutdown() { onReload() }
    }
}
