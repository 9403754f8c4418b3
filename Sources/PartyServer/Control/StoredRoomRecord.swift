import Foundation

/// The stored form of a room's control record (a row of `control_rooms`): what a restart needs to
/// give the room back its activation, statuses, key, limits, environment and token requirement.
///
/// Encoded as JSON (dates as seconds, so they come back exactly), written by `ControlJournal`.
struct StoredRoomRecord: Codable, Sendable, Equatable {
    /// One status reached.
    struct Entry: Codable, Sendable, Equatable {
        var status: RoomStatus
        var time: Date
        var reason: TerminationReason?
    }

    /// The key and limits of an activation spawned through the control API.
    struct Spawn: Codable, Sendable, Equatable {
        var key: String?
        var spawnedAt: Date
        var lifetimeLimit: Duration?
        var maxIdle: Duration
        var tag: String?
    }

    /// The format's version, for later changes.
    var version = 1
    /// The current (or last) activation's number.
    var activation: UInt64
    /// The statuses of that activation, in order.
    var entries: [Entry]
    /// Set while the activation was spawned through the control API.
    var spawn: Spawn?
    /// `room.env`.
    var env: [String: String]
    /// Whether connections must present a connection token.
    var requiresToken: Bool
    /// Whether the room was created through the control API.
    var viaControl: Bool
    /// Why the activation is terminating, while a termination is in progress.
    var terminationReason: TerminationReason?
    /// When the room last finished an event; written at graceful shutdown only, so a record
    /// without it after a restart means the server was killed.
    var lastActivity: Date?

    /// The key the activation holds while it is live (none once it is ending).
    var heldKey: String? {
        guard let last = entries.last, !last.status.isEnding else { return nil }
        return spawn?.key
    }

    /// The record's encoding.
    func encoded() throws -> Data {
        try JSONEncoder().encode(self)
    }

    /// A record from its encoding.
    static func decode(_ data: Data) throws -> StoredRoomRecord {
        try JSONDecoder().decode(StoredRoomRecord.self, from: data)
    }
}

extension StoredRoomRecord {
    /// The stored form of `record`.
    init(_ record: RoomRecord, lastActivity: Date? = nil) {
        self.init(
            activation: record.activation,
            entries: record.entries.map { Entry(status: $0.status, time: $0.time, reason: $0.reason) },
            spawn: record.spawn.map { Spawn(key: $0.key, spawnedAt: $0.spawnedAt, lifetimeLimit: $0.lifetimeLimit, maxIdle: $0.maxIdle, tag: $0.tag) },
            env: record.env,
            requiresToken: record.requiresToken,
            viaControl: record.viaControl,
            terminationReason: record.terminationReason,
            lastActivity: lastActivity
        )
    }
}

extension RoomRecord {
    /// A record as stored, without subscribers; a restored activation is marked `restored`.
    init(_ stored: StoredRoomRecord) {
        self.init()
        activation = stored.activation
        entries = stored.entries.map { Entry(status: $0.status, time: $0.time, reason: $0.reason) }
        spawn = stored.spawn.map { SpawnedActivation(key: $0.key, spawnedAt: $0.spawnedAt, lifetimeLimit: $0.lifetimeLimit, maxIdle: $0.maxIdle, tag: $0.tag) }
        env = stored.env
        requiresToken = stored.requiresToken
        viaControl = stored.viaControl
        terminationReason = stored.terminationReason
    }
}
