import Foundation

/// A task executor with one thread of its own. The service tests run their async code on it, so that they do not
/// wait for Swift concurrency's shared threads, which blocking tests elsewhere in the suite (processes waited for,
/// sockets read) can hold for tens of seconds on a 2-core machine.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// The one executor the tests share; its thread lives as long as the test process.
    static let shared = DedicatedThreadExecutor()

    /// Guards `jobs`; signalled when one is added.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [self] in runJobs() }
        thread.name = "occlumesh.test-executor"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
