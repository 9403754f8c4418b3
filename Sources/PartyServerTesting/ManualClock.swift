import Foundation
import PartyRuntime
import Synchronization

/// A clock that moves only when a test advances it, so idle timeouts and alarms are tested
/// without waiting.
///
/// ```swift
/// let clock = ManualClock()
/// // ... start something that sleeps on `clock` ...
/// try await waitUntil { clock.sleepers == 1 }   // it is asleep
/// clock.advance(by: .seconds(30))               // and now it wakes
/// ```
public final class ManualClock: PartyClock {
    /// One pending `sleep(until:)`, identified by a number.
    private enum Sleep {
        /// Registered, continuation not stored yet.
        case pending(Date)
        /// Suspended on the continuation.
        case waiting(Date, CheckedContinuation<Void, any Error>)
        /// Its deadline was reached before the continuation was stored.
        case resumed
        /// Its task was cancelled before the continuation was stored.
        case cancelled
    }

    private struct State {
        var now: Date
        var nextID: UInt64 = 0
        var sleeps: [UInt64: Sleep] = [:]
    }

    private let state: Mutex<State>

    /// Creates a clock reading `now` (default: 2027-01-15 08:00:00 UTC).
    public init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: now))
    }

    /// The current time; changes only through `advance`.
    public var now: Date {
        state.withLock { $0.now }
    }

    /// The number of sleeps that have not returned yet.
    public var sleepers: Int {
        state.withLock { $0.sleeps.values.count(where: Self.isAsleep) }
    }

    /// The deadlines of the sleeps that have not returned yet, earliest first.
    public var sleeperDeadlines: [Date] {
        state.withLock { state in
            state.sleeps.values.compactMap { sleep -> Date? in
                switch sleep {
                case .pending(let deadline), .waiting(let deadline, _): deadline
                case .resumed, .cancelled: nil
                }
            }
            .sorted()
        }
    }

    /// Moves the clock forward by `duration` and resumes every sleeper whose deadline is reached.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let interval = Double(seconds) + Double(attoseconds) / 1e18
        advance { $0.addingTimeInterval(interval) }
    }

    /// Moves the clock to `date` (never backwards) and resumes every sleeper whose deadline is
    /// reached, earliest deadline first.
    public func advance(to date: Date) {
        advance { _ in date }
    }

    /// Suspends until `advance` reaches `deadline`; returns at once for a deadline not in the
    /// future. Throws `CancellationError` when the task is cancelled (the sleep is then removed).
    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64? in
            guard deadline > state.now else { return nil }
            state.nextID &+= 1
            state.sleeps[state.nextID] = .pending(deadline)
            return state.nextID
        }
        guard let id else {
            try Task.checkCancellation()
            return
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    switch state.sleeps[id] {
                    case .pending(let deadline):
                        state.sleeps[id] = .waiting(deadline, continuation)
                        return nil
                    case .resumed:
                        state.sleeps[id] = nil
                        return .success(())
                    case .waiting, .cancelled, nil:
                        state.sleeps[id] = nil
                        return .failure(CancellationError())
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                switch state.sleeps[id] {
                case .pending:
                    state.sleeps[id] = .cancelled
                    return nil
                case .waiting(_, let continuation):
                    state.sleeps[id] = nil
                    return continuation
                case .resumed, .cancelled, nil:
                    return nil
                }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static func isAsleep(_ sleep: Sleep) -> Bool {
        switch sleep {
        case .pending, .waiting: true
        case .resumed, .cancelled: false
        }
    }

    /// Sets the time to `target(now)` unless that is earlier, then resumes the sleepers it reached.
    private func advance(_ target: (Date) -> Date) {
        let reached = state.withLock { state -> [(Date, CheckedContinuation<Void, any Error>)] in
            state.now = max(state.now, target(state.now))
            var reached: [(Date, CheckedContinuation<Void, any Error>)] = []
            for (id, sleep) in state.sleeps {
                switch sleep {
                case .pending(let deadline) where deadline <= state.now:
                    state.sleeps[id] = .resumed
                case .waiting(let deadline, let continuation) where deadline <= state.now:
                    state.sleeps[id] = nil
                    reached.append((deadline, continuation))
                default:
                    break
                }
            }
            return reached.sorted { $0.0 < $1.0 }
        }
        for (_, continuation) in reached {
            continuation.resume()
        }
    }
}
