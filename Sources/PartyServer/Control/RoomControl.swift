import Foundation
import Synchronization

/// The session control API in Swift, as `app.rooms`: create rooms by key, bound their lifetime
/// and idle time, read and watch their statuses, and terminate them. It works while the
/// application runs, with or without an API key (which only guards the HTTP API).
///
/// ```swift
/// let grant = try await app.rooms.connect(server: "match", key: "match-42",
///                                         spawn: RoomSpawn(lifetimeLimit: .seconds(3600)), user: "alice")
/// for await event in try app.rooms.statusUpdates(server: "match", name: grant.name) {
///     print(event.status)                     // scheduled, loading, starting, ready, …
/// }
/// ```
public final class RoomControl: Sendable {
    private let running = Mutex<EdgeServices?>(nil)

    init() {}

    /// Called by the application when it starts (with its services) and stops (nil).
    func attach(_ edge: EdgeServices?) {
        running.withLock { $0 = edge }
    }

    /// The running application's services.
    func edge() throws(ControlError) -> EdgeServices {
        guard let edge = running.withLock({ $0 }) else { throw .notRunning }
        return edge
    }

    /// The running application's rooms.
    func registry() throws(ControlError) -> RoomRegistry {
        try edge().registry
    }

    /// The running application's control directory.
    func directory() throws(ControlError) -> RoomDirectory {
        try edge().directory
    }

    /// Finds or creates a room and issues a connection token.
    ///
    /// - neither: a new room with a generated name and the default limits.
    /// - `key` only: the live room holding `key` (per server type), else `keyUnheld`.
    /// - `spawn` only: a new room with a generated name.
    /// - both: the live room holding `key`, or a new one that takes it (atomically: concurrent
    ///   calls with one key create one room, and exactly one of them reports `spawned`). With
    ///   a `tag` in `spawn`, a room holding the key under another tag is `keyHeld`.
    ///
    /// It returns once the room's record is stored, so the room and its key survive a restart
    /// (else `notStored`, and a new room is not created). A new room starts at once
    /// (`scheduled` → `loading` → `starting` → `ready`). With `user`,
    /// the answer carries a token for that user; a room spawned with a user accepts only
    /// connections that present a valid token, and its `onConnect` sees `context.user` and
    /// `context.auth` from it.
    public func connect(
        server: String, key: String? = nil, spawn: RoomSpawn? = nil, user: String? = nil, auth: JSONPayload? = nil
    ) async throws(ControlError) -> RoomConnectResult {
        let registry = try registry()
        let server = server.lowercased()
        guard let registration = registry.registration(named: server) else {
            throw .unknownServer(server, registered: registry.registrations.keys.sorted())
        }
        // Neither: a new room with the defaults, as Jamsocket's connect() with no options.
        let spawn = key == nil && spawn == nil ? RoomSpawn() : spawn
        if let key { try Self.validate(key, label: "key") }
        if let user { try Self.validate(user, label: "user") }
        if auth != nil && user == nil { throw .invalidArgument("auth needs a user: it travels in the user's connection token") }
        try spawn?.validate()
        let edge = try edge()
        guard let cluster = edge.cluster else {
            switch try await connectHere(registration, edge: edge, key: key, spawn: spawn, user: user, auth: auth, name: nil) {
            case .connected(let result): return result
            case .keyTaken: throw .notStored("the key was taken")  // only several nodes share keys
            }
        }
        return try await connect(registration, in: cluster, edge: edge, key: key, spawn: spawn, user: user, auth: auth)
    }

    /// What one attempt at `connect` on this node gave.
    enum ConnectAttempt {
        case connected(RoomConnectResult)
        /// The new room's key is held by a room of another node (which took it first).
        case keyTaken
    }

    /// Finds or creates the room in this node's directory; a created room is named `name`.
    func connectHere(
        _ registration: ServerRegistration, edge: EdgeServices, key: String?, spawn: RoomSpawn?, user: String?, auth: JSONPayload?,
        name: String?
    ) async throws(ControlError) -> ConnectAttempt {
        let registry = edge.registry
        let directory = edge.directory
        let server = registration.routeName
        let admission = registry.services.admission
        let connected = try directory.connect(server: server, key: key, spawn: spawn, requiresToken: user != nil, name: name) {
            admission.activationRefusal().map { ControlError.overLimit($0.description) }
        }
        let room = RoomKey(server: server, name: connected.name)
        do {
            try await directory.journal.waitUntilStored(room, sequence: connected.stored)
        } catch {
            if case .keyTaken = error {
                // Never stored: whichever call created the room, none may find it here again.
                directory.rollBack(room, activation: connected.activation)
                return .keyTaken
            }
            if connected.spawned { directory.rollBack(room, activation: connected.activation) }
            registry.logger.error("connect failed: the room's record was not stored", metadata: ["room": "\(room)", "error": "\(error)"])
            throw .notStored(error.description)
        }
        if connected.spawned { start(registration, name: connected.name, activation: connected.activation, in: registry) }
        let token = try await user.asyncMap { user throws(ControlError) in
            try await directory.tokens.sign(server: server, name: connected.name, user: user, auth: auth)
        }
        let status = directory.status(room)?.status ?? connected.status
        return .connected(RoomConnectResult(server: server, name: connected.name, spawned: connected.spawned, status: status, key: key, token: token))
    }

    /// Starts a spawned room's activation in the background.
    func start(_ registration: ServerRegistration, name: String, activation: UInt64, in registry: RoomRegistry) {
        let slot = registry.checkOut(registration, name: name)
        Task {
            defer { registry.checkIn(slot) }
            // A failed start is recorded as the activation's end by the slot.
            guard let hold = try? await slot.acquire(expecting: activation) else { return }
            slot.release(hold)
        }
    }

    /// The room's latest status (`hibernated` as of now).
    public func status(server: String, name: String) throws(ControlError) -> RoomStatusEvent {
        let key = RoomKey(server: server.lowercased(), name: name)
        guard let status = try directory().status(key) else { throw .unknownRoom(server: key.server, name: name) }
        return status
    }

    /// The statuses of the room's current activation: first those after `lastEventID` (an
    /// event's `id`; all without one), then each new one. Ends after `terminated`, or when the
    /// application stops.
    public func statusUpdates(server: String, name: String, after lastEventID: String? = nil) throws(ControlError) -> AsyncStream<RoomStatusEvent> {
        let key = RoomKey(server: server.lowercased(), name: name)
        guard let stream = try directory().subscribe(key, after: lastEventID) else {
            throw .unknownRoom(server: key.server, name: name)
        }
        return stream
    }

    /// Every status change of every room from now on, until the application stops (the inspector's feed).
    public func allStatusUpdates() throws(ControlError) -> AsyncStream<RoomStatusEvent> {
        try directory().watchAll()
    }

    /// Waits until the room is `ready` (or its activation ends), at most `timeout` on the
    /// application's clock (default: the configuration's `readyTimeout`); returns the status then.
    public func waitUntilReady(server: String, name: String, timeout: Duration? = nil) async throws(ControlError) -> RoomStatusEvent {
        let directory = try directory()
        let updates = try statusUpdates(server: server, name: name)
        let deadline = directory.clock.now.addingTimeInterval((timeout ?? directory.configuration.readyTimeout).timeInterval)
        let clock = directory.clock
        let reached = await withTaskGroup(of: RoomStatusEvent?.self) { group in
            group.addTask {
                for await event in updates where event.status >= .ready { return event }
                return nil
            }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let reached { return reached }
        return try status(server: server, name: name)
    }

    /// Terminates the room's activation (`external`) and returns its status afterwards.
    ///
    /// Soft (default): every connection is closed with 1001 after which its `onClose` runs, then
    /// a `Snapshotting` room's final snapshot is written. `hard`: connections are dropped at once
    /// without `onClose` and no snapshot is written. Storage is kept either way; the next
    /// connection or request starts a new activation. A room that is not running is left as is.
    public func terminate(server: String, name: String, hard: Bool = false) async throws(ControlError) -> RoomStatusEvent {
        let registry = try registry()
        let key = RoomKey(server: server.lowercased(), name: name)
        guard let registration = registry.registration(named: key.server) else {
            throw .unknownServer(key.server, registered: registry.registrations.keys.sorted())
        }
        if let active = try directory().activeActivation(key) {
            await terminate(registration, key, activation: active.activation, reason: .external, hard: hard, code: CloseCode.goingAway, text: "terminated", in: registry)
        }
        return try status(server: key.server, name: name)
    }

    /// Terminates one activation through the room's slot.
    func terminate(
        _ registration: ServerRegistration, _ key: RoomKey, activation: UInt64, reason: TerminationReason, hard: Bool,
        code: Int, text: String, in registry: RoomRegistry
    ) async {
        (try? directory())?.noteTermination(key, activation: activation, reason: reason)
        let slot = registry.checkOut(registration, name: key.name)
        defer { registry.checkIn(slot) }
        if slot.endUnstarted(activation, reason: reason) { return }
        _ = await slot.terminate(activation: activation, reason: reason, hard: hard, closeCode: code, closeReason: text)
    }

    /// The known rooms, newest status first: live ones and recently terminated ones.
    public func list(server: String? = nil, status: RoomStatus? = nil, limit: Int = 1000) throws(ControlError) -> [RoomSummary] {
        let registry = try registry()
        let admission = registry.services.admission
        let now = registry.services.clock.now
        return try directory().list(server: server?.lowercased(), status: status, limit: limit).map { entry in
            let key = RoomKey(server: entry.event.server, name: entry.event.name)
            let slot = registry.existingSlot(key)
            let lastActivity = max(slot?.lastActivity ?? .distantPast, entry.event.time)
            let seats = admission.seats(key, maxClients: registry.registration(named: key.server)?.options.maxClients, now: now)
            return RoomSummary(
                status: entry.event, connections: slot?.room.connectionCount ?? 0, lastActivity: lastActivity, key: entry.key,
                locked: !entry.event.status.isEnding && seats.locked, reservedSeats: seats.reserved,
                metadata: seats.metadata.flatMap { try? JSONPayload(encoding: $0) }
            )
        }
    }

    /// Keys and user ids: 1–256 characters, no control characters.
    private static func validate(_ value: String, label: String) throws(ControlError) {
        guard (1...256).contains(value.count), !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("\(label) must be 1 to 256 characters without control characters")
        }
    }
}

extension Optional {
    /// `map` with an async, typed-throwing transform.
    func asyncMap<T, E: Error>(_ transform: (Wrapped) async throws(E) -> T) async throws(E) -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
