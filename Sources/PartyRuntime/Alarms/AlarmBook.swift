import Foundation
import Logging
import Synchronization

/// Every room's alarm: the durable rows (through the storage engine), an in-memory entry per
/// room, and the timer that fires it.
///
/// Memory and CPU are proportional to the alarms set, not to the rooms: due times live in the
/// scheduler's heap, and nothing runs while no alarm is due.
package final class AlarmBook: Sendable {
    /// The scheduler whose `run` loop fires due alarms.
    package let scheduler: TimerScheduler<RoomKey>
    let engine: StorageEngine
    let clock: any PartyClock
    let configuration: AlarmConfiguration
    let logger: Logger

    private let entries = Mutex<[RoomKey: Entry]>([:])
    private let generations = Atomic<UInt64>(0)

    /// One room's alarm.
    private struct Entry {
        var at: Date
        var retryCount: Int
        var generation: UInt64
        var running = false
    }

    /// A run of an alarm that `beginRun` started.
    package struct Run: Sendable {
        /// Identifies the alarm setting this run belongs to.
        let generation: UInt64
        /// Earlier failed runs.
        package let retryCount: Int
    }

    /// How a run ended, for logs and metrics.
    package enum Outcome: Sendable, Equatable {
        /// The alarm is consumed (or was replaced while it ran).
        case done
        /// The run failed; it runs again at this time.
        case retry(at: Date, retryCount: Int)
        /// The run failed after the last retry; the alarm is deleted.
        case dropped
    }

    package init(engine: StorageEngine, clock: any PartyClock, configuration: AlarmConfiguration, logger: Logger) {
        self.engine = engine
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.scheduler = TimerScheduler(clock: clock, maxConcurrentFirings: configuration.maxConcurrentAlarms)
    }

    private func nextGeneration() -> UInt64 {
        generations.add(1, ordering: .relaxed).newValue
    }

    /// Loads every stored alarm of the given server types and schedules it (due ones fire as soon
    /// as the scheduler runs). Returns how many were scheduled.
    package func load(servers: Set<String>) async throws(StorageError) -> Int {
        adopt(try await engine.loadAlarms(), servers: servers, skipping: { _ in false })
    }

    /// Schedules the stored alarms of `servers` that the book does not hold and `skipping` does
    /// not exclude (several nodes: alarms of rooms another node ran, found by a sweep). Returns
    /// how many were scheduled.
    package func adopt(_ stored: [StoredAlarm], servers: Set<String>, skipping: (RoomKey) -> Bool) -> Int {
        var scheduled = 0
        for alarm in stored {
            guard servers.contains(alarm.server) else {
                logger.warning("stored alarm of an unregistered server type is kept but not scheduled", metadata: ["server": "\(alarm.server)", "room": "\(alarm.room)"])
                continue
            }
            let key = RoomKey(server: alarm.server, name: alarm.room)
            guard !skipping(key) else { continue }
            let entry = Entry(at: alarm.at, retryCount: alarm.retryCount, generation: nextGeneration())
            let added = entries.withLock { entries in
                guard entries[key] == nil else { return false }
                entries[key] = entry
                return true
            }
            guard added else { continue }
            scheduler.schedule(key, at: alarm.at)
            scheduled += 1
        }
        return scheduled
    }

    /// Drops `key`'s alarm from this node's book without touching the stored alarm (another
    /// node owns the room and fires it).
    package func forget(_ key: RoomKey) {
        let removed = entries.withLock { entries in
            guard entries[key]?.running != true else { return false }
            entries[key] = nil
            return true
        }
        if removed { scheduler.cancel(key) }
    }

    /// Fires `key`'s alarm again at `date` (its room could not be located; the database is unreachable).
    package func postpone(_ key: RoomKey, until date: Date) {
        let present = entries.withLock { $0[key].map { !$0.running } ?? false }
        if present { scheduler.schedule(key, at: date) }
    }

    /// The pending alarm of `key` (`nil` while it runs, unless replaced).
    package func alarm(for key: RoomKey) -> Date? {
        entries.withLock { entries in
            guard let entry = entries[key], !entry.running else { return nil }
            return entry.at
        }
    }

    /// Number of alarms set.
    package var count: Int { entries.withLock { $0.count } }

    /// Sets `key`'s alarm to `date`, replacing any earlier one. The write goes through the room's
    /// storage: inside an event it is committed with the event's other writes (and scheduled at
    /// once); outside one, it is durable before the alarm is scheduled.
    nonisolated(nonsending) package func set(_ key: RoomKey, at date: Date, through storage: RoomStorage) async throws(StorageError) {
        let alarm = StoredAlarm(server: key.server, room: key.name, at: date, retryCount: 0)
        try await storage.write(CollectionOfOne(.alarm(.set(atMilliseconds: alarm.atMilliseconds, retryCount: 0))), confirmed: true)
        let generation = nextGeneration()
        entries.withLock { $0[key] = Entry(at: alarm.at, retryCount: 0, generation: generation) }
        scheduler.schedule(key, at: alarm.at)
    }

    /// Sets `key`'s alarm to `date` without going through a room's storage: durable when it
    /// returns, then scheduled (for tools and tests that have no room).
    nonisolated(nonsending) package func set(_ key: RoomKey, at date: Date) async throws(StorageError) {
        let alarm = StoredAlarm(server: key.server, room: key.name, at: date, retryCount: 0)
        try await engine.saveAlarm(alarm)
        let generation = nextGeneration()
        entries.withLock { $0[key] = Entry(at: alarm.at, retryCount: 0, generation: generation) }
        scheduler.schedule(key, at: alarm.at)
    }

    /// Deletes `key`'s alarm, through the room's storage like `set(_:at:through:)`.
    nonisolated(nonsending) package func delete(_ key: RoomKey, through storage: RoomStorage) async throws(StorageError) {
        try await storage.write(CollectionOfOne(.alarm(.delete)), confirmed: true)
        entries.withLock { $0[key] = nil }
        scheduler.cancel(key)
    }

    /// Makes `key`'s alarm what storage holds again (after a failed write reset the room, a set or
    /// delete that was not stored must not fire or stay cancelled). A change made meanwhile wins.
    package func reload(_ key: RoomKey) async {
        let before = entries.withLock { $0[key]?.generation }
        let stored: StoredAlarm?
        do {
            stored = try await engine.alarm(server: key.server, room: key.name)
        } catch {
            logger.error("could not read the room's alarm back after a failed write", metadata: ["room": "\(key)", "error": "\(error)"])
            return
        }
        let generation = nextGeneration()
        let schedule = entries.withLock { entries -> Date?? in
            // Set or deleted again meanwhile, or running (its run finishes it): leave it.
            guard entries[key]?.generation == before, entries[key]?.running != true else { return nil }
            guard let stored else {
                entries[key] = nil
                return .some(nil)
            }
            entries[key] = Entry(at: stored.at, retryCount: stored.retryCount, generation: generation)
            return .some(stored.at)
        }
        switch schedule {
        case nil: break
        case .some(nil): scheduler.cancel(key)
        case .some(let at?): scheduler.schedule(key, at: at)
        }
    }

    /// Marks `key`'s alarm as running; `nil` if it no longer exists or already runs.
    package func beginRun(_ key: RoomKey) -> Run? {
        entries.withLock { entries -> Run? in
            guard var entry = entries[key], !entry.running else { return nil }
            entry.running = true
            entries[key] = entry
            return Run(generation: entry.generation, retryCount: entry.retryCount)
        }
    }

    /// Ends a run: deletes the alarm after success (unless the hook set a new one) or schedules a
    /// retry with exponential backoff, dropping it after the last retry.
    ///
    /// The new state is written through the room's storage: called inside the alarm's event, it is
    /// committed with `onAlarm`'s own writes, before any later event of the room can set a new alarm.
    package func finishRun(_ key: RoomKey, _ run: Run, succeeded: Bool, through storage: RoomStorage) async -> Outcome {
        let now = clock.now
        let outcome = entries.withLock { entries -> Outcome? in
            guard var entry = entries[key], entry.generation == run.generation else { return nil }
            if succeeded {
                entries[key] = nil
                return .done
            }
            let retry = run.retryCount + 1
            guard retry <= configuration.maxRetries else {
                entries[key] = nil
                return .dropped
            }
            let delay = configuration.delay(beforeRetry: retry)
            entry.at = now.addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            entry.retryCount = retry
            entry.running = false
            entries[key] = entry
            return .retry(at: entry.at, retryCount: retry)
        }
        guard let outcome else { return .done }  // replaced or deleted while it ran
        do {
            switch outcome {
            case .done, .dropped:
                try await storage.write(CollectionOfOne(.alarm(.delete)), confirmed: false)
            case .retry(let at, let retryCount):
                let alarm = StoredAlarm(server: key.server, room: key.name, at: at, retryCount: retryCount)
                try await storage.write(CollectionOfOne(.alarm(.set(atMilliseconds: alarm.atMilliseconds, retryCount: retryCount))), confirmed: false)
                let current = entries.withLock { $0[key]?.generation == run.generation }
                if current { scheduler.schedule(key, at: at) }
            }
        } catch {
            logger.error("could not store the alarm's new state", metadata: ["room": "\(key)", "error": "\(error)"])
        }
        return outcome
    }
}
