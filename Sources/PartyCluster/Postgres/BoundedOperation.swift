import Synchronization

/// Runs an operation with a time limit without waiting for it past the limit: a database that
/// stopped answering (a crashed server, a lost network) must not hold the caller, whether or not
/// the operation notices its cancellation.
package enum BoundedOperation {
    /// Thrown when the limit passed first; the operation was cancelled and may still finish.
    package struct TimedOut: Error, CustomStringConvertible {
        /// The limit that passed.
        package let limit: Duration
        /// `no answer within LIMIT`.
        package var description: String { "no answer within \(limit)" }
    }

    /// The result of `operation`, or ``TimedOut`` once `limit` has passed.
    package static func run<T: Sendable>(limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(continuation)
            let work = Task {
                let result: Result<T, any Error>
                do {
                    result = .success(try await operation())
                } catch {
                    result = .failure(error)
                }
                // First to finish: the timer has nothing left to do.
                if let waiting = pending.take() {
                    pending.cancelTimer()
                    waiting.resume(with: result)
                }
            }
            pending.setTimer(Task {
                try? await Task.sleep(for: limit)
                guard let waiting = pending.take() else { return }
                work.cancel()
                waiting.resume(throwing: TimedOut(limit: limit))
            })
        }
    }

    /// The caller's continuation, resumed by whichever of the work and the timer ends first, and
    /// the timer, stopped when the work wins.
    private final class Pending<T: Sendable>: Sendable {
        private let state: Mutex<(continuation: CheckedContinuation<T, any Error>?, timer: Task<Void, Never>?, timerCancelled: Bool)>

        init(_ continuation: CheckedContinuation<T, any Error>) {
            state = Mutex((continuation, nil, false))
        }

        /// The continuation, for the first caller only.
        func take() -> CheckedContinuation<T, any Error>? {
            state.withLock { $0.continuation.take() }
        }

        /// Records the timer (cancelled at once if the work already finished).
        func setTimer(_ timer: Task<Void, Never>) {
            let cancelled = state.withLock { state in
                state.timer = timer
                return state.timerCancelled
            }
            if cancelled { timer.cancel() }
        }

        /// Stops the timer, now or as soon as it is recorded.
        func cancelTimer() {
            state.withLock { state in
                state.timerCancelled = true
                return state.timer
            }?.cancel()
        }
    }
}
