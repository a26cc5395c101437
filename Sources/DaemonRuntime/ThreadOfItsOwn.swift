import Foundation

/// Runs `body` on a new thread named `name` and returns its result: for calls that block (opening a FIFO or a camera,
/// waiting for the pipeline's threads, flushing goodbyes to clients), which must not hold one of Swift concurrency's
/// few shared threads while other services, the reload handler among them, need one.
public func onThreadOfItsOwn<Value: Sendable>(_ name: String, _ body: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.start()
    }
}
