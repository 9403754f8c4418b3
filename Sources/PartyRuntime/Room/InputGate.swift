import DequeModule

/// Lets one event of a room run at a time; the others wait in the order they arrived.
///
/// A value type that only decides: `enter` and `leave` say which waiter now holds the gate, and
/// the caller resumes it. A forced `reset` (a hard stop of the room) lets every waiter try again
/// and bumps the epoch, so the event that held the gate before it cannot release it afterwards.
struct InputGate<Waiter> {
    /// Whether an event holds the gate.
    private(set) var isHeld = false
    /// Bumped by every `reset`.
    private(set) var epoch: UInt64 = 0
    private var waiters: Deque<Waiter> = []

    /// Events waiting for the gate.
    var waiting: Int { waiters.count }

    /// Takes the gate if it is free; returns the epoch it is held in, or nil when it is held.
    mutating func tryEnter() -> UInt64? {
        guard !isHeld else { return nil }
        isHeld = true
        return epoch
    }

    /// Queues `waiter` behind the events already waiting (the gate is held).
    mutating func enqueue(_ waiter: Waiter) {
        waiters.append(waiter)
    }

    /// What happens when the holder leaves.
    enum Leaving {
        /// The gate now belongs to this waiter: resume it.
        case handOver(Waiter)
        /// Nobody waits: the gate is free.
        case freed
        /// The holder's epoch ended with a reset: nothing changes.
        case stale
    }

    /// The event that entered in `epoch` leaves the gate.
    mutating func leave(epoch held: UInt64) -> Leaving {
        guard held == epoch, isHeld else { return .stale }
        if let next = waiters.popFirst() { return .handOver(next) }
        isHeld = false
        return .freed
    }

    /// Frees the gate whoever holds it; returns every waiter, to be resumed without the gate (they
    /// try to enter again, in the order they are resumed).
    mutating func reset() -> Deque<Waiter> {
        epoch &+= 1
        isHeld = false
        defer { waiters.removeAll() }
        return waiters
    }
}
