import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Daemon

/// `--wait-for-clients`' count: distinct clients, a wait woken by subscribes, and a stop that ends the wait.
@Suite("subscribed clients")
struct SubscribedClientsTests {
    /// What a wait returned, once it has.
    final class Outcome: Sendable {
        let value = Mutex<Bool?>(nil)
    }

    /// Runs `wait(forAtLeast:)` on a thread of its own; the returned semaphore is signalled when it returns.
    static func waitApart(_ clients: SubscribedClients, for count: Int, result: Outcome) -> DispatchSemaphore {
        let returned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let outcome = clients.wait(forAtLeast: count)
            result.value.withLock { $0 = outcome }
            returned.signal()
        }
        return returned
    }

    @Test("the wait returns once enough distinct clients are subscribed at once, not on repeats")
    func waitsForDistinctClients() {
        let clients = SubscribedClients()
        let result = Outcome()
        let returned = Self.waitApart(clients, for: 2, result: result)
        clients.insert(1)
        clients.insert(1)
        #expect(returned.wait(timeout: .now() + 0.3) == .timedOut, "one client subscribing twice is one client")
        clients.remove(1)
        clients.insert(2)
        #expect(returned.wait(timeout: .now() + 0.3) == .timedOut, "a client that left does not count")
        clients.insert(3)
        #expect(returned.wait(timeout: .now() + 10) == .success)
        #expect(result.value.withLock { $0 } == true)
    }

    @Test("a stop ends the wait, and every later one, without clients")
    func stopEndsTheWait() {
        let clients = SubscribedClients()
        let result = Outcome()
        let returned = Self.waitApart(clients, for: 1, result: result)
        #expect(returned.wait(timeout: .now() + 0.3) == .timedOut)
        clients.cancelWaits()
        #expect(returned.wait(timeout: .now() + 10) == .success)
        #expect(result.value.withLock { $0 } == false)
        #expect(!clients.wait(forAtLeast: 1))
    }
}
