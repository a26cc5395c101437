#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Delivers SIGTERM, SIGINT, SIGHUP (or any signals given) as ordinary callbacks on a Dispatch queue.
///
/// Each signal's default action is replaced by "ignore" before its source is armed (Dispatch then installs its own
/// handler), so the process is never killed by one; Dispatch calls `handler` with the signal number, outside signal context, where
/// stopping the publisher or reloading the config is safe.
public final class SignalEvents: Sendable {
    /// Dispatch sources are thread-safe; Linux's Dispatch overlay just does not mark them `Sendable`.
    nonisolated(unsafe) private let sources: [DispatchSourceSignal]

    /// Starts delivering `signals` to `handler` on `queue`.
    public init(signals: [Int32] = [SIGTERM, SIGINT, SIGHUP], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) {
        let registered = DispatchSemaphore(value: 0)
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            return source
        }
        // Dispatch arms a source asynchronously; a signal sent before that would be ignored and lost,
        // so the initialiser returns only once every source is armed.
        for _ in signals { _ = registered.wait(timeout: .now() + 5) }
    }

    /// Stops delivering the signals to `handler`.
    public func cancel() {
        for source in sources { source.cancel() }
    }
}
