import Foundation
import Synchronization

/// Runs `onStart` against a deadline on the application's clock. When the deadline passes first,
/// the caller goes on with `Exceeded` while the hook, which cannot be stopped from outside,
/// finishes on its own; its result is ignored.
enum StartupDeadline {
    /// `onStart` did not finish in time.
    struct Exceeded: Error, CustomStringConvertible {
        var description: String { "onStart did not finish within the startup timeout" }
    }

    /// Runs `operation`, throwing `Exceeded` if it has not finished `timeout` after the call.
    static func run(clock: any PartyClock, timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
        let deadline = clock.now.addingTimeInterval(timeout.timeInterval)
        let outcome = FirstOutcome()
        let work = Task {
            do {
                try await operation()
                outcome.finish(.success(()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let timer = Task {
            do {
                try await clock.sleep(until: deadline)
                outcome.finish(.failure(Exceeded()))
            } catch {
                // Cancelled: the operation finished first.
            }
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }
}

/// The first of several results, awaited once.
private final class FirstOutcome: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
        case done(Result<Void, any Error>)
        case delivered
    }

    private let state = Mutex(State.pending)

    /// Records `result` unless another came first.
    func finish(_ result: Result<Void, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            switch state {
            case .pending:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .done, .delivered:
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    /// Waits for the first result.
    func value() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready = state.withLock { state -> Result<Void, any Error>? in
                if case .done(let result) = state {
                    state = .delivered
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
