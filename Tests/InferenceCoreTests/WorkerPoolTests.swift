import Foundation
import InferenceGraph
import Synchronization
import Testing

/// The session's worker threads: a parked worker wakes for the next run and takes its part, and workers stop spinning
/// once a run has ended and the grace period has passed.
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

    /// Whether `workers` workers park within ten seconds of the last run.
    static func waitUntilParked(_ pool: WorkerPool, workers: Int) -> Bool {
        let clock = ContinuousClock(), deadline = clock.now + .seconds(10)
        while pool.parkedWorkers < workers && clock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return pool.parkedWorkers == workers
    }

    @Test("a worker parked between runs wakes for the next one and takes its part")
    func parkedWorkerWakes() {
        let pool = WorkerPool(threads: 2)
        #expect(Self.workerTakesPartOne(pool))
        #expect(Self.waitUntilParked(pool, workers: 1))
        #expect(Self.workerTakesPartOne(pool))
        #expect(Self.workerTakesPartOne(pool))  // back to back: taken while it still spins
    }

    @Test("workers stop spinning after a run once the grace period has passed")
    func workersPark() {
        let pool = WorkerPool(threads: 3)
        _ = Self.workerTakesPartOne(pool)
        #expect(Self.waitUntilParked(pool, workers: 2))
    }
}
