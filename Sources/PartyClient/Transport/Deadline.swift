import Foundation
import PartyTime

/// Runs `body`, or throws ``TransportError/timedOut`` once `clock` passes `timeout` from now;
/// `body` is then cancelled (and must return promptly).
func withDeadline<T: Sendable>(
    clock: any PartyClock,
    timeout: Duration,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let deadline = clock.now.addingTimeInterval(timeout.seconds)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await clock.sleep(until: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TransportError.timedOut }
        return value
    }
}
