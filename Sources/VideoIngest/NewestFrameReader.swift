import Foundation

/// Reads a live source on a thread of its own and keeps only the newest frame, so a consumer
/// that falls behind gets the latest picture instead of an ever-growing backlog.
///
/// The reader owns the source from the moment it is created. Frames the consumer never took are
/// counted in `droppedFrames`.
public final class NewestFrameReader: Sendable {
    private let state = NewestFrameState()

    /// Starts reading `source` at its own pace.
    public init(source: sending any FrameSource) {
        let handoff = SourceHandoff(source: source)
        let state = self.state
        let thread = Thread {
            let source = handoff.source
            while !state.isStopped {
                do {
                    guard let frame = try source.nextFrame() else {
                        state.finish(with: nil)
                        return
                    }
                    state.publish(frame)
                } catch {
                    state.finish(with: error)
                    return
                }
            }
        }
        thread.name = "occlumesh.ingest"
        thread.start()
    }

    /// Blocks until a frame newer than the last one returned exists and returns it; `nil` once the
    /// source has ended and every frame was taken or skipped. Rethrows the source's error.
    public func next() throws -> VideoFrame? {
        try state.take()
    }

    /// Frames that were replaced by a newer one before the consumer took them.
    public var droppedFrames: Int { state.droppedFrames }

    /// Asks the reading thread to stop after the frame it is decoding.
    public func stop() {
        state.stop()
    }
}

/// Moves a non-`Sendable` source to the reader thread, which becomes its only user.
private final class SourceHandoff: @unchecked Sendable {
    let source: any FrameSource
    init(source: any FrameSource) { self.source = source }
}

/// The one-frame mailbox between the reader thread and the consumer, guarded by a condition lock.
private final class NewestFrameState: @unchecked Sendable {
    private let condition = NSCondition()
    private var newest: VideoFrame?
    private var ended = false
    private var failure: (any Error)?
    private var stopped = false
    private var dropped = 0

    var isStopped: Bool { condition.withLock { stopped } }
    var droppedFrames: Int { condition.withLock { dropped } }

    func publish(_ frame: VideoFrame) {
        condition.withLock {
            if newest != nil { dropped += 1 }
            newest = frame
            condition.signal()
        }
    }

    func finish(with error: (any Error)?) {
        condition.withLock {
            ended = true
            failure = error
            condition.broadcast()
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    func take() throws -> VideoFrame? {
        condition.lock()
        defer { condition.unlock() }
        while newest == nil && !ended && !stopped { condition.wait() }
        if let frame = newest {
            newest = nil
            return frame
        }
        if let failure { throw failure }
        return nil
    }
}
