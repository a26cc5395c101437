import Synchronization

/// Lets another thread end a source's blocking `nextFrame()`: a stopping daemon interrupts a camera,
/// stream or pipe that has gone quiet instead of waiting for a frame that may never come. Once
/// interrupted, `nextFrame()` returns `nil` (end of stream) within about 100 ms and on every later call.
public final class SourceInterruption: Sendable {
    private let interrupted = Atomic<Bool>(false)

    /// A token nobody has interrupted yet.
    public init() {}

    /// Asks the source to stop waiting; safe from any thread, idempotent.
    public func interrupt() {
        interrupted.store(true, ordering: .relaxed)
    }

    /// Whether `interrupt()` has been called.
    public var isInterrupted: Bool {
        interrupted.load(ordering: .relaxed)
    }
}
