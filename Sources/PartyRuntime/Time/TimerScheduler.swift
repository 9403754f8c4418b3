import Foundation
import Synchronization

/// Fires one timer per key at its deadline on a ``PartyClock``: durable alarms, idle and
/// hibernation timeouts.
///
/// `schedule`, `cancel` and the queries are cheap synchronous calls, safe from any thread, before
/// or while ``run(_:)`` is running. The loop in `run` starts every due timer's firing (at most
/// `maxConcurrentFirings` at once), then sleeps on the clock until the earliest deadline; it is
/// woken early only when a timer is scheduled before the deadline it is sleeping towards, or on
/// `stop()`, so no CPU is spent while no timer is due.
///
/// Each timer fires exactly once unless it is cancelled or replaced before it fires; its key is
/// removed before `fire` is called, so a key scheduled again (even from inside its own firing)
/// fires again at its new deadline.
package final class TimerScheduler<Key: Hashable & Sendable>: Sendable {
    /// Whether and how the loop is suspended waiting to be woken.
    private enum Park {
        /// The loop is running (or not started).
        case none
        /// The loop decided to park and has not suspended yet; `woken` records an early wake-up.
        case deciding(woken: Bool)
        /// The loop is suspended on this continuation.
        case parked(CheckedContinuation<Void, Never>)
    }

    /// What the loop does next.
    private enum Step {
        /// Start the firings of the keys put in the batch.
        case fire
        /// Timers are due but every firing slot is taken: wait for a firing to finish.
        case full
        /// Nothing is due: sleep until `deadline` (or until woken, when nil).
        case sleep(until: Date?, generation: UInt64)
        /// `stop()` was called.
        case stop
    }

    private struct State {
        var queue = TimerQueue<Key>()
        var park = Park.none
        /// While the loop sleeps: a timer scheduled before this deadline wakes it to re-aim.
        var aim: Date?
        /// Identifies the current park, so a sleep that ended after the loop moved on is ignored.
        var generation: UInt64 = 0
        var wakeups = 0
        var isRunning = false
        var isStopped = false

        /// Pops up to `free` due keys into `batch`, or decides to wait or stop.
        mutating func next(now: Date, free: Int, batch: inout [Key]) -> Step {
            if isStopped { return .stop }
            while batch.count < free, let key = queue.popDue(now: now) {
                batch.append(key)
            }
            if !batch.isEmpty { return .fire }
            if let earliest = queue.earliest, earliest <= now { return .full }
            generation &+= 1
            park = .deciding(woken: false)
            aim = queue.earliest ?? .distantFuture
            return .sleep(until: queue.earliest, generation: generation)
        }

        /// Stores the parked loop's continuation; returns true if it must resume at once instead.
        mutating func register(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
            if case .deciding(woken: false) = park {
                park = .parked(continuation)
                return false
            }
            park = .none
            return true
        }

        /// Wakes the loop if it is parked or about to park; returns the continuation to resume.
        mutating func wake() -> CheckedContinuation<Void, Never>? {
            aim = nil
            switch park {
            case .none, .deciding(woken: true):
                return nil
            case .deciding(woken: false):
                park = .deciding(woken: true)
                wakeups += 1
                return nil
            case .parked(let continuation):
                park = .none
                wakeups += 1
                return continuation
            }
        }
    }

    private let clock: any PartyClock
    private let maxConcurrentFirings: Int
    private let state = Mutex(State())

    /// Creates a scheduler on `clock` that runs at most `maxConcurrentFirings` firings at once
    /// (default 64; must be at least 1).
    package init(clock: any PartyClock, maxConcurrentFirings: Int = 64) {
        precondition(maxConcurrentFirings > 0, "maxConcurrentFirings must be at least 1")
        self.clock = clock
        self.maxConcurrentFirings = maxConcurrentFirings
    }

    /// Sets the timer of `key` to fire at `deadline`, replacing any earlier one; a deadline in the
    /// past fires at once.
    package func schedule(_ key: Key, at deadline: Date) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.queue.schedule(key, at: deadline)
            guard let aim = state.aim, deadline < aim else { return nil }
            return state.wake()
        }
        waiter?.resume()
    }

    /// Removes the timer of `key`; nothing happens if it has none.
    package func cancel(_ key: Key) {
        state.withLock { $0.queue.cancel(key) }
    }

    /// The deadline of `key`'s pending timer, if it has one.
    package func deadline(for key: Key) -> Date? {
        state.withLock { $0.queue.deadline(for: key) }
    }

    /// The number of pending timers.
    package var count: Int {
        state.withLock { $0.queue.count }
    }

    /// The number of heap entries, including replaced or cancelled ones not yet purged.
    package var storedEntries: Int {
        state.withLock { $0.queue.storedEntries }
    }

    /// How many times the loop has been woken from a sleep.
    package var wakeups: Int {
        state.withLock { $0.wakeups }
    }

    /// Makes ``run(_:)`` return once the firings it started have finished; permanent.
    package func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.isStopped = true
            return state.wake()
        }
        waiter?.resume()
    }

    /// Fires due timers with `fire` until `stop()` or cancellation of the calling task, then
    /// returns once the firings already started have finished. Only one `run` at a time.
    package func run(_ fire: @escaping @Sendable (Key) async -> Void) async {
        state.withLock { state in
            precondition(!state.isRunning, "TimerScheduler.run is already running")
            state.isRunning = true
        }
        defer { state.withLock { $0.isRunning = false } }
        let limit = maxConcurrentFirings
        await withTaskGroup(of: Void.self) { group in
            // Firings started and not yet collected with `next()`; the ones that finished while
            // the loop slept are collected when the slots are needed.
            var running = 0
            var batch: [Key] = []
            batch.reserveCapacity(limit)
            while !Task.isCancelled {
                let now = clock.now
                let step = state.withLock { $0.next(now: now, free: limit - running, batch: &batch) }
                switch step {
                case .fire:
                    for key in batch {
                        group.addTask { await fire(key) }
                    }
                    running += batch.count
                    batch.removeAll(keepingCapacity: true)
                case .full:
                    if await group.next() != nil { running -= 1 }
                case .sleep(let deadline, let generation):
                    await sleep(until: deadline, generation: generation)
                case .stop:
                    return
                }
            }
        }
    }

    /// Parks the loop until `deadline` on the clock (forever when nil) or until it is woken.
    private func sleep(until deadline: Date?, generation: UInt64) async {
        guard let deadline else {
            await park()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [clock] in
                do {
                    try await clock.sleep(until: deadline)
                } catch {
                    return
                }
                self.deadlineReached(generation: generation)
            }
            await park()
            group.cancelAll()
        }
    }

    /// Suspends the loop until `wake()` is called; wakes it on task cancellation too.
    private func park() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if state.withLock({ $0.register(continuation) }) {
                    continuation.resume()
                }
            }
        } onCancel: {
            state.withLock { $0.wake() }?.resume()
        }
    }

    /// Wakes the loop when the clock reached the deadline of the park identified by `generation`.
    private func deadlineReached(generation: UInt64) {
        let waiter = state.withLock { state in
            state.generation == generation ? state.wake() : nil
        }
        waiter?.resume()
    }
}
