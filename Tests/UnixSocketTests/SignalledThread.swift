import Foundation
import Glibc
import Synchronization

/// A thread that can be interrupted by a signal while it blocks in a system call, to check the EINTR and
/// short-write handling of `Descriptor`.
///
/// SIGUSR2 gets a handler installed without `SA_RESTART`, so a blocking `send`/`recv` on the interrupted thread
/// returns early: with `EINTR` when it had moved no byte yet, with a short count when it had. The signal goes to this
/// thread alone (`pthread_kill`), never to the rest of the test process.
final class SignalledThread: Sendable {
    private struct State {
        var thread: pthread_t?
        var finished = false
        var signalsSent = 0
    }

    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    /// Installs the handler (once per process) and starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        Self.installHandler
        let thread = Thread { [self] in
            // Threads inherit the creating thread's signal mask, and Dispatch's worker threads (which run the tests)
            // block SIGUSR2 with the rest: unblock it here, or the signals stay pending and interrupt nothing.
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &mask, nil)
            state.withLock { $0.thread = pthread_self() }
            body()
            state.withLock { $0.finished = true }
            done.signal()
        }
        thread.start()
    }

    private static let installHandler: Void = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR2, &action, nil)
    }()

    /// Sends SIGUSR2 to the thread every `interval` microseconds until `body` returned or `timeout` seconds passed;
    /// the number of signals sent. The lock is held around each `pthread_kill`, and `body`'s end is recorded under
    /// the same lock before the thread ends, so no signal is sent to a thread that is gone.
    @discardableResult
    func interruptUntilFinished(every interval: UInt32 = 500, timeout: Double = 30) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let finished = state.withLock { state -> Bool in
                if state.finished { return true }
                if let thread = state.thread {
                    pthread_kill(thread, SIGUSR2)
                    state.signalsSent += 1
                }
                return false
            }
            if finished { break }
            usleep(interval)
        }
        return state.withLock { $0.signalsSent }
    }

    /// Sends SIGUSR2 to the thread `times` times, `interval` microseconds apart (the first once it runs), stopping
    /// early if `body` returned; the number of signals sent.
    @discardableResult
    func interrupt(times: Int, every interval: UInt32 = 2000) -> Int {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let stop = state.withLock { state -> Bool in
                if state.finished || state.signalsSent >= times { return true }
                if let thread = state.thread {
                    pthread_kill(thread, SIGUSR2)
                    state.signalsSent += 1
                }
                return false
            }
            if stop { break }
            usleep(interval)
        }
        return state.withLock { $0.signalsSent }
    }

    /// Waits up to `timeout` seconds for `body` to return; false if it did not.
    func wait(timeout: Double = 30) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }
}
