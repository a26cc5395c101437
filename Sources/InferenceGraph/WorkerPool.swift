import Foundation
import Synchronization

/// The threads of one session beyond the caller's: started with the session, spinning for work while a `run` lasts
/// (so a layer split over them starts in well under a microsecond, not the tens of microseconds of waking a parked
/// thread), parked between runs. Layers too small to pay for the split run on the calling thread alone.
package final class WorkerPool: @unchecked Sendable {
    /// Threads taking part in a split, the caller's included.
    package let threads: Int
    private let state: WorkerState

    /// Starts `threads - 1` worker threads (parked until `beginRun`).
    package init(threads: Int) {
        precondition(threads > 1, "a pool needs at least one worker")
        self.threads = threads
        state = WorkerState()
        for _ in 1..<threads {
            let state = state
            let thread = Thread { state.workerLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        state.stop.store(true, ordering: .releasing)
        for _ in 1..<threads { state.wake.signal() }
    }

    /// Lets the workers spin for work until `endRun`, waking those that have parked.
    package func beginRun() {
        state.running.store(true, ordering: .sequentiallyConsistent)
        for _ in 0..<state.parked.load(ordering: .sequentiallyConsistent) { state.wake.signal() }
    }

    /// Lets the workers park once `WorkerState.graceNanoseconds` pass without another `beginRun`.
    package func endRun() { state.running.store(false, ordering: .releasing) }

    /// Workers parked (or about to park) on the pool's semaphore rather than spinning.
    package var parkedWorkers: Int { state.parked.load(ordering: .sequentiallyConsistent) }

    /// Calls `body(part)` for every part in 0..<parts, spread over the caller and the workers; returns when all
    /// are done. Only the caller of `beginRun` may call it, between `beginRun` and `endRun`.
    package func perform(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else {
            if parts == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // In a non-generic struct the closure keeps its own representation: a pointer to the bare closure
            // type would be generic and cost a heap-allocated reabstraction thunk per call.
            withUnsafePointer(to: Job(body: escapable)) { pointer in
                state.generation &+= 1
                let generation = state.generation & 0x7FFF_FFFF
                // Closed first: a late worker of the previous job cannot claim while job and parts change.
                state.claims.store(generation << 32 | WorkerState.closed, ordering: .releasing)
                state.job = UnsafeRawPointer(pointer)
                state.parts = parts
                state.finished.store(0, ordering: .relaxed)
                // Part 0 is the caller's own, so a step split like the one before it finds its part of their shared
                // map in its own core's caches; the workers claim the rest, and the caller helps once done.
                state.claims.store(generation << 32 | 1, ordering: .releasing)
                escapable(0)
                state.finished.add(1, ordering: .releasing)
                state.work(generation: generation)
                while state.finished.load(ordering: .acquiring) < parts {}
            }
        }
    }
}

/// The closure of one `perform`.
private struct Job {
    let body: (Int) -> Void
}

/// What the pool's threads share. `claims` holds the current job's generation (high 32 bits) and its next unclaimed
/// part (low bits); the caller writes `job` and `parts` before publishing a new generation there (release), a worker
/// reads them after seeing it (acquire) and takes a part only by compare-and-swap on the same generation, so a worker
/// that wakes late never runs a finished job.
private final class WorkerState: @unchecked Sendable {
    /// Low bits of `claims` while the caller is writing a new job.
    static let closed = 0xFFFF_FFFF
    let claims = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let running = Atomic<Bool>(false)
    let stop = Atomic<Bool>(false)
    /// Workers waiting on `wake` (or about to): `beginRun` signals that many.
    let parked = Atomic<Int>(0)
    let wake = DispatchSemaphore(value: 0)
    /// How long a worker keeps spinning after a run before it parks. Woken from the semaphore, a worker started
    /// 10–15 µs into the next run, so a network's first layer (its stem, 40–50 µs) ran on the caller alone when runs
    /// came back to back; onnxruntime's pool spins between runs likewise.
    static let graceNanoseconds: UInt64 = 200_000
    /// Written by the caller only.
    var generation = 0
    var job: UnsafeRawPointer?
    var parts = 0

    /// Takes parts of job `generation` until none is left; counts each one done after its closure is released.
    func work(generation: Int) {
        guard let job else { return }
        let parts = self.parts
        var claim = claims.load(ordering: .acquiring)
        while claim >> 32 == generation && claim & 0xFFFF_FFFF < parts {
            let (exchanged, original) = claims.compareExchange(expected: claim, desired: claim + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                Self.call(job, part: original & 0xFFFF_FFFF)
                finished.add(1, ordering: .releasing)
                claim = original + 1
            } else {
                claim = original
            }
        }
    }

    /// Spins up to `graceNanoseconds` for the next run, then waits on `wake`. A `beginRun` between announcing the
    /// wait and waiting is seen by the second look at `running`; its signal then wakes a later wait early, which only
    /// costs one more turn of the loop.
    private func park() {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.graceNanoseconds
        while !running.load(ordering: .acquiring) && !stop.load(ordering: .relaxed)
                && DispatchTime.now().uptimeNanoseconds < deadline {}
        parked.add(1, ordering: .sequentiallyConsistent)
        if !running.load(ordering: .sequentiallyConsistent) && !stop.load(ordering: .sequentiallyConsistent) {
            wake.wait()
        }
        parked.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Calls the job's closure; out of line so the closure's reference is dropped before the part counts as done.
    @inline(never)
    private static func call(_ job: UnsafeRawPointer, part: Int) {
        job.assumingMemoryBound(to: Job.self).pointee.body(part)
    }

    func workerLoop() {
        // No job has been seen yet: generations start at 1, so a worker that starts after the first job was
        // published still takes part in it.
        var seen = 0
        while !stop.load(ordering: .acquiring) {
            guard running.load(ordering: .acquiring) else {
                park()
                continue
            }
            let claim = claims.load(ordering: .acquiring)
            if claim >> 32 != seen && claim & 0xFFFF_FFFF != Self.closed {
                seen = claim >> 32
                work(generation: seen)
            }
        }
    }
}
