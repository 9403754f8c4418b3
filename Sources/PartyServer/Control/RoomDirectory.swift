import DequeModule
import Foundation
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// The control API's record of every room: the statuses of its current activation, the keys
/// live rooms hold, spawn settings, and who watches the statuses.
///
/// Rooms report their lifecycle here only on transitions (start, ready, hibernation, end), never
/// per message or connection. Get-or-create by key happens under one lock, so concurrent
/// `connect` calls with one key create one room.
package final class RoomDirectory: Sendable {
    /// The control API's configuration.
    package let configuration: ControlConfiguration
    /// The limit timers of spawned activations (run by the application).
    package let timers: TimerScheduler<ControlTimer>
    /// Signs and checks connection tokens.
    package let tokens: ConnectionTokens
    /// Writes the records to the storage database.
    let journal: ControlJournal
    let clock: any PartyClock
    let state: Mutex<DirectoryState>
    /// Held while status events decided under `state` are handed to their streams, so they
    /// arrive in the order decided, without holding `state` (see `withState`).
    let delivery = NIOLock()

    /// Everything behind the directory's lock.
    struct DirectoryState {
        /// Stores every change of a record, in the order made here.
        let journal: ControlJournal
        var records: [RoomKey: RoomRecord] = [:]
        var keys: [KeyBinding: String] = [:]
        /// Terminated activations, oldest first, to forget beyond the retention limit.
        var retired: Deque<(RoomKey, UInt64)> = []
        var watchers: [UInt64: AsyncStream<RoomStatusEvent>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var isShutDown = false
        /// Events and stream ends decided under the lock, delivered once it is released.
        var outbox: [StatusDelivery] = []
    }

    /// Runs `body` under the directory's lock, then delivers the status events and stream ends it
    /// decided, in order, after releasing it. A stream's consumer being cancelled runs its
    /// termination handler, which takes this lock, while the runtime holds that task's own
    /// lock; resuming the consumer under this lock (to yield it an event) needs the task's lock:
    /// delivering under this lock could deadlock, so delivering is ordered by `delivery` instead.
    func withState<Result, Failure: Error>(_ body: (inout DirectoryState) throws(Failure) -> Result) throws(Failure) -> Result {
        let (result, outbox) = try state.withLock { (state) throws(Failure) -> (Result, [StatusDelivery]) in
            let result = try body(&state)
            guard !state.outbox.isEmpty else { return (result, []) }
            let outbox = state.outbox
            state.outbox = []
            delivery.lock()
            return (result, outbox)
        }
        guard !outbox.isEmpty else { return result }
        defer { delivery.unlock() }
        for item in outbox { item.deliver() }
        return result
    }

    /// Creates an empty directory whose limits and tokens run on `clock`, whose records are
    /// stored through `engine` and whose tokens are signed with `tokenKeys`.
    package init(configuration: ControlConfiguration, clock: any PartyClock, engine: StorageEngine, tokenKeys: TokenSigningKeys, logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.timers = TimerScheduler(clock: clock)
        self.tokens = ConnectionTokens(clock: clock, lifetime: configuration.tokenLifetime, keys: tokenKeys)
        self.journal = ControlJournal(engine: engine, logger: logger)
        self.state = Mutex(DirectoryState(journal: journal))
    }

    // MARK: Spawning

    /// The room `connect` found or created.
    package struct Connected: Sendable {
        /// The room's name.
        package var name: String
        /// Whether this call created it.
        package var spawned: Bool
        /// Its status when found or created.
        package var status: RoomStatus
        /// Its activation.
        package var activation: UInt64
        /// The journal sequence of the record this answer relies on (see `waitUntilStored`).
        package var stored: UInt64
    }

    /// Finds the live room holding `key` or, with `spawn`, creates one (both atomically); with
    /// `spawn` and no key, always creates one. A created room's activation is `scheduled`.
    /// `refusal` is asked (under the lock) just before creating one: a limit can refuse it.
    /// The answer relies on a record that may not be durable yet: wait with `waitUntilStored`.
    /// A created room is named `name` (on a cluster node, one whose lease it holds), else a new UUID.
    package func connect(
        server: String, key: String?, spawn: RoomSpawn?, requiresToken: Bool, name preset: String? = nil,
        refusal: () -> ControlError? = { nil }
    ) throws(ControlError) -> Connected {
        let now = clock.now
        let maxIdle = spawn?.maxIdle ?? configuration.defaultMaxIdle
        let outcome = try withState { (state) throws(ControlError) -> Connected in
            if let key, let name = state.keys[KeyBinding(server: server, key: key)],
                let record = state.records[RoomKey(server: server, name: name)], record.isLive, let status = record.status
            {
                if let tag = spawn?.tag, tag != record.spawn?.tag {
                    throw .keyHeld(key, requestTag: tag, keyTag: record.spawn?.tag)
                }
                return Connected(name: name, spawned: false, status: status, activation: record.activation, stored: record.journaled)
            }
            guard let spawn else { throw .keyUnheld(key ?? "") }
            if let refused = refusal() { throw refused }
            let name = preset ?? UUID().uuidString.lowercased()
            let roomKey = RoomKey(server: server, name: name)
            var record = RoomRecord()
            record.activation = 1
            record.entries = [RoomRecord.Entry(status: .scheduled, time: now)]
            record.spawn = SpawnedActivation(key: key, spawnedAt: now, lifetimeLimit: spawn.lifetimeLimit, maxIdle: maxIdle, tag: spawn.tag)
            record.env = spawn.env
            record.requiresToken = requiresToken
            record.viaControl = true
            state.records[roomKey] = record
            if let key { state.keys[KeyBinding(server: server, key: key)] = name }
            state.broadcast(record.event(0, key: roomKey))
            let stored = state.store(roomKey)
            return Connected(name: name, spawned: true, status: .scheduled, activation: 1, stored: stored)
        }
        if outcome.spawned, let spawn {
            let room = RoomKey(server: server, name: outcome.name)
            if let lifetime = spawn.lifetimeLimit {
                timers.schedule(ControlTimer(room: room, activation: 1, kind: .lifetime), at: now.addingTimeInterval(lifetime.timeInterval))
            }
            timers.schedule(ControlTimer(room: room, activation: 1, kind: .idle), at: now.addingTimeInterval(maxIdle.timeInterval))
        }
        return outcome
    }

    // MARK: Lifecycle (called by the room's slot)


    /// A room starts without an activation: adopts the spawned activation waiting in `scheduled`
    /// or restored at start (which the slot then wakes rather than starts, as its statuses are
    /// past `loading`), or begins a new one. With `expecting`, adopts only that activation (else
    /// returns nil).
    package func beginActivation(_ key: RoomKey, expecting: UInt64? = nil) -> AdoptedActivation? {
        let now = clock.now
        var ended: UInt64?
        let adopted = withState { state -> AdoptedActivation? in
            var record = state.records[key] ?? RoomRecord()
            if record.isActive {
                if record.status == .scheduled || record.restored, !record.adopted, expecting == nil || expecting == record.activation {
                    if record.restored {
                        state.records[key]?.restored = false
                        state.records[key]?.hibernated = false
                    }
                    // A slot runs it now: `endScheduled` leaves it to the slot's termination.
                    state.records[key]?.adopted = true
                    return AdoptedActivation(activation: record.activation, pinned: record.spawn != nil)
                }
                guard expecting == nil else { return nil }
                // A slot lost track of it (not expected): end it before starting anew.
                ended = record.activation
                state.append(.terminated, reason: .swept, at: now, to: &record, key: key, retention: configuration.retainedTerminatedRooms)
            } else if expecting != nil {
                return nil
            }
            record.activation &+= 1
            record.entries = [RoomRecord.Entry(status: .scheduled, time: now)]
            record.spawn = nil
            record.hibernated = false
            record.terminationReason = nil
            record.adopted = true
            state.records[key] = record
            state.broadcast(record.event(0, key: key))
            state.store(key)
            return AdoptedActivation(activation: record.activation, pinned: false)
        }
        if let ended { cancelTimers(key, activation: ended) }
        return adopted
    }

    /// Records that activation `activation` of `key` reached `status` (ignored unless it moves the
    /// activation forward). Returns whether it was recorded.
    @discardableResult
    package func advance(_ key: RoomKey, activation: UInt64, to status: RoomStatus, reason: TerminationReason? = nil) -> Bool {
        let now = clock.now
        let recorded = withState { state -> Bool in
            guard var record = state.records[key], record.activation == activation,
                let current = record.status, current < status
            else { return false }
            state.append(status, reason: reason, at: now, to: &record, key: key, retention: configuration.retainedTerminatedRooms)
            return true
        }
        if recorded && status == .terminated { cancelTimers(key, activation: activation) }
        return recorded
    }

    /// Ends an activation: `terminating` (`hard-terminating` when `hard`; neither after a failed
    /// start), then `terminated` with `reason`.
    package func end(_ key: RoomKey, activation: UInt64, reason: TerminationReason, hard: Bool) {
        if !reason.isExitError {
            advance(key, activation: activation, to: hard ? .hardTerminating : .terminating)
        }
        advance(key, activation: activation, to: .terminated, reason: reason)
    }

    /// Ends `activation` if no slot runs it: still `scheduled` (spawned, not started), or restored
    /// at start and not woken since. Returns whether it did.
    package func endScheduled(_ key: RoomKey, activation: UInt64, reason: TerminationReason) -> Bool {
        let scheduled = withState { state in
            state.records[key].map { $0.activation == activation && !$0.adopted && ($0.status == .scheduled || $0.restored) } ?? false
        }
        guard scheduled else { return false }
        end(key, activation: activation, reason: reason)
        return true
    }

    /// Records whether the room is hibernated (no event: hibernation is a flag on `ready`).
    package func setHibernated(_ key: RoomKey, activation: UInt64, _ hibernated: Bool) {
        withState { state in
            guard state.records[key]?.activation == activation else { return }
            state.records[key]?.hibernated = hibernated
        }
    }

    /// Records why `activation` is about to be terminated, unless it already is terminating: a
    /// restart during the termination finishes it with this reason.
    func noteTermination(_ key: RoomKey, activation: UInt64, reason: TerminationReason) {
        withState { state in
            guard let record = state.records[key], record.activation == activation, record.isLive else { return }
            state.records[key]?.terminationReason = reason
        }
    }

    /// Forgets a spawn whose record could not be stored, unless something started it meanwhile:
    /// its status stream ends with `terminated` (`internal_error`) and its key is released.
    func rollBack(_ key: RoomKey, activation: UInt64) {
        let rolledBack = withState { state -> Bool in
            guard var record = state.records[key], record.activation == activation, record.status == .scheduled else { return false }
            state.append(.terminated, reason: .internalError, at: clock.now, to: &record, key: key, retention: configuration.retainedTerminatedRooms)
            state.records[key] = nil
            _ = state.journal.write(key, nil, removing: activation)
            return true
        }
        if rolledBack { cancelTimers(key, activation: activation) }
    }

    func cancelTimers(_ key: RoomKey, activation: UInt64) {
        timers.cancel(ControlTimer(room: key, activation: activation, kind: .lifetime))
        timers.cancel(ControlTimer(room: key, activation: activation, kind: .idle))
    }
}

extension RoomDirectory.DirectoryState {
    /// Appends a status to `record`, stores it, and tells its subscribers and the watchers; an
    /// ending status releases the room's key, `terminated` ends its streams.
    mutating func append(_ status: RoomStatus, reason: TerminationReason? = nil, at time: Date, to record: inout RoomRecord, key: RoomKey, retention: Int) {
        record.entries.append(RoomRecord.Entry(status: status, time: time, reason: reason))
        if status != .ready { record.hibernated = false }
        let event = record.event(record.entries.count - 1, key: key)
        for continuation in record.subscribers.values {
            outbox.append(.yield(continuation, event))
        }
        broadcast(event)
        if status.isEnding, let held = record.spawn?.key {
            let binding = KeyBinding(server: key.server, key: held)
            if keys[binding] == key.name { keys[binding] = nil }
        }
        if status == .terminated {
            for continuation in record.subscribers.values {
                outbox.append(.finish(continuation))
            }
            record.subscribers = [:]
            retired.append((key, record.activation))
        }
        records[key] = record
        store(key)
        if status == .terminated { forgetBeyond(retention) }
    }

    /// Hands `key`'s record (or its removal) to the journal; returns the change's sequence.
    @discardableResult
    mutating func store(_ key: RoomKey, lastActivity: Date? = nil) -> UInt64 {
        guard let record = records[key] else { return journal.write(key, nil) }
        let sequence = journal.write(key, StoredRoomRecord(record, lastActivity: lastActivity))
        records[key]?.journaled = sequence
        return sequence
    }

    /// Sends `event` to every watcher of all rooms.
    mutating func broadcast(_ event: RoomStatusEvent) {
        for continuation in watchers.values {
            outbox.append(.yield(continuation, event))
        }
    }

    /// Forgets the oldest terminated rooms beyond `retention`, and deletes their stored records.
    mutating func forgetBeyond(_ retention: Int) {
        while retired.count > max(retention, 0), let (key, activation) = retired.popFirst() {
            guard let record = records[key], record.activation == activation, !record.isActive else { continue }
            records[key] = nil
            journal.write(key, nil, removing: activation)
        }
    }
}

extension RoomDirectory: RoomActivations {
    /// `ControlConfiguration.startupTimeout`.
    package var startupTimeout: Duration { configuration.startupTimeout }

    /// `ControlConfiguration.terminationGrace`.
    package var terminationGrace: Duration { configuration.terminationGrace }
}
