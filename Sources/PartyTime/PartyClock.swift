import Foundation

/// The time source for idle timeouts, hibernation and alarms on the server, and for reconnection
/// delays and connection timeouts in the client.
///
/// Alarms are wall-clock times that must survive a restart, so time is a `Date`. Production uses
/// `SystemClock`; tests inject a manual clock (`ManualClock` in PartyServerTesting) and advance it,
/// so idle timeouts, alarms and reconnection backoff are tested without waiting.
///
/// It lives in its own small module so that `PartyServer` and `PartyClient` share one protocol
/// (both re-export it) without the client depending on the server.
public protocol PartyClock: Sendable {
    /// The current time.
    var now: Date { get }
    /// Suspends until `deadline` has passed. Throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system's wall clock.
public struct SystemClock: PartyClock {
    /// Creates the system clock.
    public init() {}

    /// The current wall-clock time.
    public var now: Date { Date() }

    /// Sleeps until `deadline` on the continuous clock (returns at once for a past deadline).
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: .nanoseconds(Int64(min(seconds, 86_400 * 365) * 1e9)))
    }
}
