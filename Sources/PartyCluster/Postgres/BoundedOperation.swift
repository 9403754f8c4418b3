import Synchronization

/// Runs an operation with a time limit without waiting for it past the limit: a database that
/// stopped answering (a crashed server, a lost network) must not hold the caller, whether or not
/// the operation notices its cancellation.
enum BoundedOperation {
    /// Thrown when the limit passed first; the operation was cancelled and may still finish.
    struct TimedOut: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "no answer within \(limit)" }
    }

    /// The result of `operation`, or ``TimedOut`` once `limit` has passed.
    static func run<T: Sendable>(limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(continuation)
            let work = Task {
                let result: Result<T, any Error>
                do {
                    result = .success(try await operation())
                } catch {
                    result = .failure(error)
                }
                pending.take()?.resume(with: result)
            }
            Task {
                try? await Task.sleep(for: limit)
                guard let waiting = pending.take() else { return }
                work.cancel()
                waiting.resume(throwing: TimedOut(limit: limit))
            }
        }
    }

    /// The caller's continuation, resumed by whichever of the work and the timer ends first.
    private final class Pending<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<T, any Error>?>

        init(_ continuation: CheckedContinuation<T, any Error>) {
            self.continuation = Mutex(continuation)
        }

        /// The continuation, for the first caller only.
        func take() -> CheckedContinuation<T, any Error>? {
            continuation.withLock { $0.take() }
        }
    }
}
