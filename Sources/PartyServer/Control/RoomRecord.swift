import Foundation
import PartyRuntime

/// What the control API knows about one room: the statuses of its current (or last) activation,
/// who watches them, and the settings it was spawned with. Lives in `RoomDirectory`, behind its lock.
struct RoomRecord {
    /// One status reached.
    struct Entry {
        var status: RoomStatus
        var time: Date
        var reason: TerminationReason?
    }

    /// The current (or last) activation's number; 0 before the first.
    var activation: UInt64 = 0
    /// The statuses of that activation, in order (at most one per status).
    var entries: [Entry] = []
    /// Status streams of that activation.
    var subscribers: [UInt64: AsyncStream<RoomStatusEvent>.Continuation] = [:]
    /// Whether the room is hibernated.
    var hibernated = false
    /// Set while the activation was spawned through the control API: its key and limits (out of
    /// line: most rooms are never spawned, and the directory keeps a record per room).
    @OutOfLine var spawn: SpawnedActivation? = nil
    /// `room.env`: from the last spawn, kept across activations.
    var env: [String: String] = [:]
    /// Whether connections must present a connection token (the room was spawned with a user).
    var requiresToken = false
    /// Whether the room was created through the control API (kept across activations).
    var viaControl = false
    /// Why the activation is terminating, once a termination was asked for (stored, so a restart
    /// can finish it with its reason).
    var terminationReason: TerminationReason?
    /// Whether the activation was restored at start and no slot has adopted it yet: it has no
    /// actor, and the first start of the room wakes it.
    var restored = false
    /// Whether a room's slot runs the current activation (it started it, or adopted it from
    /// `scheduled` or a restart); until then a termination ends it in the directory alone.
    var adopted = false
    /// The `ControlJournal` sequence of the record's latest change (0: never written).
    var journaled: UInt64 = 0

    /// The latest status, if the room ever started.
    var status: RoomStatus? { entries.last?.status }

    /// Whether the activation has begun and not terminated.
    var isActive: Bool {
        guard let status else { return false }
        return status != .terminated
    }

    /// Whether the activation has begun and is neither terminating nor terminated.
    var isLive: Bool {
        guard let status else { return false }
        return !status.isEnding
    }

    /// The event for entry `index` (0-based) of the current activation.
    func event(_ index: Int, key: RoomKey) -> RoomStatusEvent {
        let entry = entries[index]
        return RoomStatusEvent(
            server: key.server, name: key.name, activation: activation, sequence: index + 1,
            status: entry.status, time: entry.time, terminationReason: entry.reason, terminationKind: terminationKind(entry.reason),
            hibernated: hibernated && entry.status == .ready
        )
    }

    /// How the activation was stopped: hard once it went through `hard-terminating`, else as
    /// its reason implies.
    private func terminationKind(_ reason: TerminationReason?) -> TerminationKind? {
        if entries.contains(where: { $0.status == .hardTerminating }) { return .hard }
        return reason?.impliedKind
    }

    /// The latest event, if any.
    func latest(key: RoomKey) -> RoomStatusEvent? {
        entries.isEmpty ? nil : event(entries.count - 1, key: key)
    }
}

/// The limits and key of an activation spawned through the control API.
struct SpawnedActivation {
    /// The key the activation holds, if any (released when it starts terminating).
    var key: String?
    /// When it was spawned.
    var spawnedAt: Date
    /// Its lifetime limit, if any.
    var lifetimeLimit: Duration?
    /// Its idle limit.
    var maxIdle: Duration
    /// Its tag (`RoomSpawn.tag`), if any.
    var tag: String?
    /// Set when the activation was restored at start: when its idle time counts from (its last
    /// activity saved at shutdown, or the restart after a crash).
    var activeSince: Date?
}

/// A key held by a live room: keys are per server type.
struct KeyBinding: Hashable {
    var server: String
    var key: String
}
