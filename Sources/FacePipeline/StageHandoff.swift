import Foundation

/// The bounded hand-off between two pipeline stages, each running on its own thread.
///
/// Files must lose nothing, so with `.waitForSpace` a producer that is ahead waits for the consumer.
/// Live sources must never queue up, so with `.replaceOldest` a full hand-off drops its oldest item
/// for the new one and counts it: the consumer always gets the newest frames.
public final class StageHandoff<Item: Sendable>: @unchecked Sendable {
    /// What a producer does when the hand-off is full.
    public enum OverflowPolicy: Sendable, Equatable {
        /// Block until the consumer has taken an item (files: every frame, in order).
        case waitForSpace
        /// Drop the oldest waiting item and count it (cameras and live streams).
        case replaceOldest
    }

    /// Most items waiting at once.
    public let capacity: Int
    /// Behaviour when full.
    public let policy: OverflowPolicy

    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private var dropped = 0

    /// Creates an empty hand-off holding at most `capacity` (≥ 1) items.
    public init(capacity: Int, policy: OverflowPolicy) {
        precondition(capacity >= 1, "a hand-off holds at least one item")
        self.capacity = capacity
        self.policy = policy
        items.reserveCapacity(capacity)
    }

    /// Hands `item` to the consumer. Returns false when the hand-off was closed (the item is discarded).
    @discardableResult
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && waitingCount == capacity {
            if policy == .replaceOldest {
                head += 1
                dropped += 1
                break
            }
            condition.wait()
        }
        guard !closed else { return false }
        compactIfNeeded()
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Takes the oldest waiting item, blocking while there is none; `nil` once closed and drained.
    public func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while waitingCount == 0 && !closed { condition.wait() }
        guard waitingCount > 0 else { return nil }
        let item = items[head]
        head += 1
        condition.broadcast()
        return item
    }

    /// Ends the stream: waiting items are still delivered, later `put`s are refused, and a consumer
    /// blocked on an empty hand-off wakes up with `nil`.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Items replaced under `.replaceOldest` before the consumer took them.
    public var droppedCount: Int { condition.withLock { dropped } }

    /// Items currently waiting.
    public var count: Int { condition.withLock { waitingCount } }

    private var waitingCount: Int { items.count - head }

    /// Reclaims the taken prefix so the storage never grows past `capacity` plus what was taken since.
    private func compactIfNeeded() {
        if head > 0 && items.count == items.capacity {
            items.removeFirst(head)
            head = 0
        }
    }
}
