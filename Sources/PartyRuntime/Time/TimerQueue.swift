import Foundation
import HeapModule

/// The timers of a ``TimerScheduler``: at most one deadline per key, earliest first.
///
/// A heap with lazy deletion: every `schedule` pushes an entry stamped with a fresh sequence number
/// and records that stamp in `timers`; an entry whose stamp no longer matches (its key was
/// rescheduled, cancelled or fired) is stale and is dropped once it reaches the top, so the top of
/// the heap is always a live timer. Stale entries are purged in place when they outnumber the live
/// ones, and storage is given back when the timers shrink to a quarter of their high-water mark,
/// so memory stays proportional to the live timers however often they are rescheduled.
struct TimerQueue<Key: Hashable & Sendable>: Sendable {
    /// One heap entry, ordered by deadline and then by scheduling order.
    private struct Entry: Comparable, Sendable {
        let deadline: Date
        let sequence: UInt64
        let key: Key

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline < rhs.deadline || (lhs.deadline == rhs.deadline && lhs.sequence < rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.sequence == rhs.sequence
        }
    }

    /// The live timer of a key: its deadline and the sequence number of its heap entry.
    private struct Stamp: Sendable {
        let deadline: Date
        let sequence: UInt64
    }

    /// Below this many entries the heap is never rebuilt, so small queues never churn.
    private static var compactionFloor: Int { 64 }

    private var heap = Heap<Entry>()
    private var timers: [Key: Stamp] = [:]
    private var nextSequence: UInt64 = 0
    /// The most entries the heap's storage has held since it was last allocated.
    private var highWater = 0

    /// Creates an empty queue.
    init() {}

    /// The number of live timers.
    var count: Int { timers.count }

    /// The number of heap entries, live and stale.
    var storedEntries: Int { heap.count }

    /// The earliest live deadline, if any.
    var earliest: Date? { heap.min?.deadline }

    /// The live deadline of `key`, if it has one.
    func deadline(for key: Key) -> Date? {
        timers[key]?.deadline
    }

    /// Sets the deadline of `key`, replacing any earlier one.
    mutating func schedule(_ key: Key, at deadline: Date) {
        let sequence = nextSequence
        nextSequence &+= 1
        let replaced = timers.updateValue(Stamp(deadline: deadline, sequence: sequence), forKey: key) != nil
        heap.insert(Entry(deadline: deadline, sequence: sequence, key: key))
        highWater = max(highWater, heap.count)
        if replaced { tidy() }
    }

    /// Removes the timer of `key`, if any.
    mutating func cancel(_ key: Key) {
        guard timers.removeValue(forKey: key) != nil else { return }
        tidy()
    }

    /// Removes and returns the key of the earliest timer if its deadline is at or before `now`.
    mutating func popDue(now: Date) -> Key? {
        guard let top = heap.min, top.deadline <= now else { return nil }
        heap.removeMin()
        timers[top.key] = nil
        tidy()
        return top.key
    }

    private func isLive(_ entry: Entry) -> Bool {
        timers[entry.key]?.sequence == entry.sequence
    }

    /// Restores the invariants after a timer went away: the top is live, stale entries do not
    /// outnumber live ones, and storage is not much larger than what it holds.
    private mutating func tidy() {
        while let top = heap.min, !isLive(top) {
            heap.removeMin()
        }
        let floor = Self.compactionFloor
        if heap.count - timers.count > max(timers.count, floor) {
            let live = timers
            heap.removeAll { live[$0.key]?.sequence != $0.sequence }
        }
        if highWater > floor, heap.count < highWater / 4 {
            // A fresh heap of exactly the live entries: the old storage is released.
            let live = timers
            heap = Heap(heap.unordered.lazy.filter { live[$0.key]?.sequence == $0.sequence })
            highWater = heap.count
        }
        if timers.capacity > 4 * max(timers.count, floor) {
            var fresh = [Key: Stamp](minimumCapacity: timers.count)
            for (key, stamp) in timers {
                fresh[key] = stamp
            }
            timers = fresh
        }
    }
}
