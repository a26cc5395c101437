import Foundation

/// The clients subscribed now (connection numbers), which `--wait-for-clients` counts, and a wait for enough of them
/// that sleeps until a subscribe or a stop wakes it. A set, so that one client subscribing again (or a thousand
/// times) is still one client.
final class SubscribedClients: @unchecked Sendable {
    /// Guards `identifiers` and `cancelled`; broadcast whenever either changes in a way a waiter cares about.
    private let condition = NSCondition()
    private var identifiers = Set<Int>()
    private var cancelled = false

    /// Client `identifier` subscribed (again).
    func insert(_ identifier: Int) {
        condition.lock()
        defer { condition.unlock() }
        if identifiers.insert(identifier).inserted { condition.broadcast() }
    }

    /// Client `identifier` went away.
    func remove(_ identifier: Int) {
        condition.lock()
        defer { condition.unlock() }
        identifiers.remove(identifier)
    }

    /// Ends every wait, now and later: the daemon is stopping.
    func cancelWaits() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    /// Blocks until at least `count` clients are subscribed at once (true) or the waits were cancelled (false).
    func wait(forAtLeast count: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while identifiers.count < count, !cancelled { condition.wait() }
        return !cancelled
    }
}
