import Foundation
import PartyServer
import PartyServerTesting
import Synchronization

/// A `TimerScheduler` on a `ManualClock`, its loop running in a background task, recording the
/// keys it fires.
final class SchedulerHarness<Key: Hashable & Sendable>: Sendable {
    let clock: ManualClock
    let scheduler: TimerScheduler<Key>

    private let log = Mutex<[Key]>([])
    private let completed = Atomic<Int>(0)
    private let completedAtReturn = Atomic<Int>(-1)
    private let runTask = Mutex<Task<Void, Never>?>(nil)

    init(maxConcurrentFirings: Int = 64, clock: ManualClock = ManualClock()) {
        self.clock = clock
        self.scheduler = TimerScheduler(clock: clock, maxConcurrentFirings: maxConcurrentFirings)
    }

    /// Starts `run`; each firing records its key, then calls `extra`.
    func start(_ extra: @escaping @Sendable (Key) async -> Void = { _ in }) {
        let task = Task {
            await scheduler.run { key in
                self.log.withLock { $0.append(key) }
                await extra(key)
                self.completed.add(1, ordering: .sequentiallyConsistent)
            }
            completedAtReturn.store(completed.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
        }
        runTask.withLock { $0 = task }
    }

    /// The keys whose firing started, in order.
    var fired: [Key] { log.withLock { $0 } }

    /// Whether `run` has returned.
    var hasReturned: Bool { completedAtReturn.load(ordering: .sequentiallyConsistent) >= 0 }

    /// How many firings had finished when `run` returned (-1 while it runs).
    var firingsFinishedAtReturn: Int { completedAtReturn.load(ordering: .sequentiallyConsistent) }

    /// Cancels the task running the loop.
    func cancelRun() {
        runTask.withLock { $0 }?.cancel()
    }

    /// Waits until the loop sleeps on the clock towards exactly `deadline`.
    func waitAsleep(until deadline: Date, timeout: Duration = .seconds(10)) async throws {
        try await eventually("the scheduler sleeps until \(deadline)", timeout: timeout, interval: .milliseconds(5)) {
            let deadlines = clock.sleeperDeadlines
            return deadlines == [deadline] ? .done(()) : .pending("sleeping until \(deadlines)")
        }
    }

    /// Waits until at least `count` firings started.
    func waitFired(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        try await eventually("\(count) firings started", timeout: timeout, interval: .milliseconds(5)) {
            let fired = self.fired
            return fired.count >= count ? .done(()) : .pending("fired \(fired)")
        }
    }

    /// Stops the scheduler and waits until `run` has returned.
    func stop(timeout: Duration = .seconds(10)) async throws {
        scheduler.stop()
        try await waitReturned(timeout: timeout)
    }

    /// Waits until `run` has returned.
    func waitReturned(timeout: Duration = .seconds(10)) async throws {
        try await eventually("run returns", timeout: timeout, interval: .milliseconds(5)) {
            hasReturned ? .done(()) : .pending("still running")
        }
    }
}

/// Counts firings in progress and the most seen at once, and how often each key fired.
final class ConcurrencyTally: Sendable {
    private struct Counts {
        var current = 0
        var peak = 0
        var finished = 0
        var perKey: [Int]
    }

    private let counts: Mutex<Counts>

    init(keys: Int) {
        counts = Mutex(Counts(perKey: Array(repeating: 0, count: keys)))
    }

    /// Records that the firing of `key` started.
    func begin(_ key: Int) {
        counts.withLock {
            $0.current += 1
            $0.peak = max($0.peak, $0.current)
            $0.perKey[key] += 1
        }
    }

    /// Records that a firing finished.
    func end() {
        counts.withLock {
            $0.current -= 1
            $0.finished += 1
        }
    }

    /// Firings in progress.
    var current: Int { counts.withLock { $0.current } }
    /// The most firings seen in progress at once.
    var peak: Int { counts.withLock { $0.peak } }
    /// Firings that finished.
    var finished: Int { counts.withLock { $0.finished } }
    /// Keys that fired other than exactly once.
    var keysNotFiredOnce: Int { counts.withLock { $0.perKey.count { $0 != 1 } } }
}

#if canImport(Glibc)
import Glibc

/// The resident set size of this process in bytes, after returning free heap pages to the
/// system so that new allocations show up as growth; nil where /proc is unavailable.
func residentBytes() -> Int? {
    trimMallocHeap()
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return nil }
    let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    return kilobytes.map { $0 * 1024 }
}

/// Calls glibc's `malloc_trim(0)` (not exported by the Glibc module, hence the lookup).
private func trimMallocHeap() {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") else { return }
    typealias MallocTrim = @convention(c) (Int) -> Int32
    _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
}
#else
/// Not measured on this platform.
func residentBytes() -> Int? { nil }
#endif
