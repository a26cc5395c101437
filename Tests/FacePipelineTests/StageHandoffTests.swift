import Dispatch
import Foundation
import Synchronization
import Testing
@testable import FacePipeline

@Suite("StageHandoff between pipeline stages")
struct StageHandoffTests {
    @Test("wait-for-space loses nothing and keeps order while the consumer is slower")
    func waitForSpaceDeliversEverything() {
        let handoff = StageHandoff<Int>(capacity: 2, policy: .waitForSpace)
        let producer = Thread {
            for value in 0..<200 { handoff.put(value) }
            handoff.close()
        }
        producer.start()
        var received: [Int] = []
        while let value = handoff.take() {
            if value % 50 == 0 { usleep(2_000) }  // a consumer that stalls now and then
            received.append(value)
            #expect(handoff.count <= 2)
        }
        #expect(received == Array(0..<200))
        #expect(handoff.droppedCount == 0)
    }

    @Test("replace-oldest never blocks the producer and gives the consumer the newest items")
    func replaceOldestKeepsNewest() {
        let handoff = StageHandoff<Int>(capacity: 2, policy: .replaceOldest)
        for value in 0..<100 { #expect(handoff.put(value)) }
        #expect(handoff.count == 2)
        #expect(handoff.take() == 98)
        #expect(handoff.take() == 99)
        #expect(handoff.droppedCount == 98)
        handoff.put(100)
        #expect(handoff.take() == 100)
    }

    @Test("closing wakes a waiting consumer, drains what is left and refuses new items")
    func closing() {
        let handoff = StageHandoff<Int>(capacity: 4, policy: .waitForSpace)
        handoff.put(1)
        handoff.close()
        #expect(!handoff.put(2))
        #expect(handoff.take() == 1)
        #expect(handoff.take() == nil)

        let empty = StageHandoff<Int>(capacity: 1, policy: .waitForSpace)
        let taken = Mutex<Int??>(nil)
        let finished = DispatchSemaphore(value: 0)
        let consumer = Thread {
            let item = empty.take()
            taken.withLock { $0 = .some(item) }
            finished.signal()
        }
        consumer.start()
        // Bounded waits: a consumer that close() does not wake fails the test instead of hanging it.
        #expect(finished.wait(timeout: .now() + 0.05) == .timedOut, "the consumer waits while the hand-off is empty")
        empty.close()
        #expect(finished.wait(timeout: .now() + 10) == .success, "close wakes the waiting consumer")
        #expect(taken.withLock { $0 } == .some(nil), "and it gets nil")
    }

    @Test("a producer blocked on a full hand-off is released by close")
    func closeReleasesProducer() {
        let handoff = StageHandoff<Int>(capacity: 1, policy: .waitForSpace)
        handoff.put(0)
        let result = Mutex<Bool?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let producer = Thread {
            let accepted = handoff.put(1)
            result.withLock { $0 = accepted }
            finished.signal()
        }
        producer.start()
        #expect(finished.wait(timeout: .now() + 0.05) == .timedOut, "the producer waits while the hand-off is full")
        handoff.close()
        #expect(finished.wait(timeout: .now() + 10) == .success, "close releases the waiting producer")
        #expect(result.withLock { $0 } == false, "and its item is refused")
        #expect(handoff.take() == 0)
    }
}
