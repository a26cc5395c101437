import Foundation
import InferenceGraph
import Synchronization
import Testing

/// The session's worker threads: a worker takes its part of the first run and of each one after it.
@Suite struct WorkerPoolTests {
    /// Runs one split in which the caller's part waits (up to `timeout`) for part 1 to start on another thread, so the
    /// split completes in time only if a worker took part 1. Returns whether one did.
    static func workerTakesPartOne(_ pool: WorkerPool, timeout: Duration = .seconds(10)) -> Bool {
        let started = Atomic<Bool>(false)
        let byWorker = Atomic<Bool>(false)
        let caller = pthread_self()
        pool.beginRun()
        pool.perform(parts: 2) { part in
            if part == 1 {
                byWorker.store(pthread_equal(pthread_self(), caller) == 0, ordering: .relaxed)
                started.store(true, ordering: .releasing)
                return
            }
            let clock = ContinuousClock(), deadline = clock.now + timeout
            while !started.load(ordering: .acquiring) && clock.now < deadline {}
        }
        pool.endRun()
        return byWorker.load(ordering: .relaxed)
    }

    @Test("a worker takes its part of the first run and wakes for the next ones")
    func parkedWorkerWakes() {
        let pool = WorkerPool(threads: 2)
        #expect(Self.workerTakesPartOne(pool))
        Thread.sleep(forTimeInterval: 0.05)  // the worker parks between runs
        #expect(Self.workerTakesPartOne(pool))
        #expect(Self.workerTakesPartOne(pool))
    }
}
