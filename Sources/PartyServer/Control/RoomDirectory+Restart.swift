import Foundation
import Synchronization

extension RoomDirectory {
    /// What `restore` rebuilt.
    package struct Restored: Sendable {
        /// Spawned activations that had not reached `ready`: they start again (`scheduled`).
        package var restarts: [RoomKey: UInt64] = [:]
        /// Spawned activations that were `ready`: they stay, hibernated until they wake.
        package var live = 0
        /// Direct activations that were still active (the server was killed): now `terminated`
        /// with `lost`.
        package var lost = 0
    }

    /// Rebuilds the records, key bindings and retention queue from the stored records, at start
    /// before any room runs, and schedules the limits of spawned activations: the lifetime limit
    /// at `spawnedAt + limit` (a past deadline fires at once), the idle limit from the last
    /// activity saved at shutdown (or from now, after a crash).
    ///
    /// A `terminating` activation finishes as `terminated` with its reason; a direct activation
    /// still active ends with `lost`.
    func restore(_ stored: [(key: RoomKey, record: StoredRoomRecord)]) -> Restored {
        let now = clock.now
        let retention = configuration.retainedTerminatedRooms
        var limits: [(ControlTimer, Date)] = []
        let restored = withState { state -> Restored in
            var restored = Restored()
            var ended: [(time: Date, key: RoomKey, activation: UInt64)] = []
            var active: [(key: RoomKey, lastActivity: Date?)] = []
            for (key, stored) in stored {
                let record = RoomRecord(stored)
                guard let last = record.entries.last else { continue }
                state.records[key] = record
                if last.status == .terminated {
                    ended.append((last.time, key, record.activation))
                } else {
                    active.append((key, stored.lastActivity))
                }
            }
            // Oldest first, as they terminated, so retention forgets the oldest.
            for entry in ended.sorted(by: { ($0.time, $0.key.description) < ($1.time, $1.key.description) }) {
                state.retired.append((entry.key, entry.activation))
            }
            for (key, lastActivity) in active {
                guard var record = state.records[key], let status = record.status else { continue }
                guard var spawn = record.spawn, !status.isTerminating else {
                    let reason = record.spawn == nil ? .lost : record.terminationReason ?? .lost
                    if record.spawn == nil { restored.lost += 1 }
                    state.append(.terminated, reason: reason, at: now, to: &record, key: key, retention: retention)
                    continue
                }
                spawn.activeSince = lastActivity.map { max($0, spawn.spawnedAt) } ?? now
                record.spawn = spawn
                if let held = spawn.key { state.keys[KeyBinding(server: key.server, key: held)] = key.name }
                if status < .ready {
                    let first = record.entries.first { $0.status == .scheduled } ?? RoomRecord.Entry(status: .scheduled, time: now)
                    record.entries = [first]
                    restored.restarts[key] = record.activation
                } else {
                    record.restored = true
                    record.hibernated = true
                    restored.live += 1
                }
                state.records[key] = record
                // Stored again without the saved activity, so a crash from now on is told apart.
                if lastActivity != nil || status < .ready { state.store(key) }
                if let lifetime = spawn.lifetimeLimit {
                    limits.append((ControlTimer(room: key, activation: record.activation, kind: .lifetime), spawn.spawnedAt.addingTimeInterval(lifetime.timeInterval)))
                }
                limits.append((ControlTimer(room: key, activation: record.activation, kind: .idle), (spawn.activeSince ?? now).addingTimeInterval(spawn.maxIdle.timeInterval)))
            }
            state.forgetBeyond(retention)
            return restored
        }
        for (timer, deadline) in limits {
            timers.schedule(timer, at: deadline)
        }
        return restored
    }

    /// The rooms whose spawned activation is live: `shutDown` stores their last activity.
    package func spawnedRooms() -> [RoomKey] {
        withState { state in
            state.records.compactMap { key, record in record.isLive && record.spawn != nil ? key : nil }
        }
    }

    /// The server stops gracefully. Direct activations end with `shutdown`. Spawned ones stay
    /// (their key stays bound) and are stored with their last activity (`lastActivity`, else
    /// when they were restored or spawned), so their idle limit goes on after a restart; one that
    /// was terminating finishes with its reason. Every stream ends. Then close the `journal`.
    package func shutDown(lastActivity: [RoomKey: Date] = [:]) {
        let now = clock.now
        let retention = configuration.retainedTerminatedRooms
        withState { state in
            state.isShutDown = true
            for key in Array(state.records.keys) {
                guard var record = state.records[key], record.isActive, let status = record.status else { continue }
                if let spawn = record.spawn, !status.isTerminating {
                    for continuation in record.subscribers.values {
                        state.outbox.append(.finish(continuation))
                    }
                    state.records[key]?.subscribers = [:]
                    let since = spawn.activeSince ?? spawn.spawnedAt
                    state.store(key, lastActivity: max(lastActivity[key] ?? since, since))
                    continue
                }
                if !status.isTerminating {
                    state.append(.terminating, at: now, to: &record, key: key, retention: retention)
                }
                let reason = record.spawn == nil ? .shutdown : record.terminationReason ?? .shutdown
                state.append(.terminated, reason: reason, at: now, to: &record, key: key, retention: retention)
            }
            for continuation in state.watchers.values {
                state.outbox.append(.finish(continuation))
            }
            state.watchers = [:]
        }
        timers.stop()
    }
}
