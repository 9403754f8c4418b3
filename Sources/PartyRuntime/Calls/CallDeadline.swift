import Foundation
import Synchronization

/// Waits for a room call or its deadline on the application's clock, whichever comes first. The
/// call runs in its own task, so a timed-out or cancelled caller returns at once while the callee
/// finishes its hook (a hook cannot be stopped halfway; its input gate is released as usual).
enum CallDeadline {
    static func run<T: Sendable>(
        clock: any PartyClock, deadline: Date, timeout: Duration,
        _ operation: @escaping @Sendable () async throws(RoomCallError) -> T
    ) async throws(RoomCallError) -> T {
        let first = FirstResult<T>()
        Task {
            do throws(RoomCallError) {
                first.finish(.success(try await operation()))
            } catch {
                first.finish(.failure(error))
            }
        }
        let timer = Task {
            guard (try? await clock.sleep(until: deadline)) != nil else { return }
            first.finish(.failure(.timeout(timeout)))
        }
        defer { timer.cancel() }
        let result = await withTaskCancellationHandler {
            await first.value()
        } onCancel: {
            first.finish(.failure(.cancelled))
        }
        return try result.get()
    }
}

/// The first result handed to it, for one waiter.
private final class FirstResult<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, RoomCallError>?
        var waiter: CheckedContinuation<Result<T, RoomCallError>, Never>?
    }

    private let state = Mutex(State())

    /// Keeps `result` unless one came earlier, and hands it to the waiter.
    func finish(_ result: Result<T, RoomCallError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<T, RoomCallError>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    /// The first result, once there is one.
    func value() async -> Result<T, RoomCallError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<T, RoomCallError>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
