import CoreMetrics
import Foundation
import Logging
import NIOCore
import Synchronization

/// What a server instance is given: the room's name, its connections, and ways to reach them.
///
/// A `Room` outlives the actor that serves it: connections are held here, so they stay open
/// while the actor is released and recreated.
public final class Room: Sendable {
    /// The room name, percent-decoded (`lobby` in `/parties/chat/lobby`).
    public let name: String
    /// The route name of the room's server type (`chat`).
    public let server: String
    /// Logger with `server` and `room` metadata, made when asked for: a room that logs nothing
    /// keeps no metadata of its own (hibernated rooms are many). Keep a copy in a property of
    /// your server to log on every message without making it each time.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "server"] = .string(server)
        logger[metadataKey: "room"] = .string(name)
        return logger
    }
    /// The application's logger, shared by every room (no metadata of this room).
    private let baseLogger: Logger
    /// The room's durable key-value store (writes are on disk when they return).
    public let storage: RoomStorage

    /// Holds outgoing messages while a write of this room is not yet durable.
    package let gate: OutputGate
    /// The runtime services the room uses (storage engine, alarms, clock, metrics).
    package let services: RoomServices
    /// The room's identity in the registry, the scheduler and storage.
    package let key: RoomKey
    /// Messages queued for sending (held here so the send path does not walk to it).
    let messagesOut: CoreMetrics.Counter

    private let members: Mutex<RoomMembers>
    /// The type's `ServerOptions.maxClients`.
    public let maxClients: Int?
    /// Connections that dropped and may come back (`ServerOptions.reconnectionWindow`).
    package let dropped = DroppedConnections()

    package init(server: String, name: String, logger: Logger, services: RoomServices, maxClients: Int? = nil) {
        self.maxClients = maxClients
        self.server = server
        self.name = name
        self.key = RoomKey(server: server, name: name)
        self.baseLogger = logger
        self.services = services
        self.messagesOut = services.metrics.messagesOut
        let gate = OutputGate()
        self.gate = gate
        self.storage = services.engine.storage(server: server, room: name, gate: gate)
        self.members = Mutex(RoomMembers())
    }

    /// The current time from the application's clock (the injected clock in tests).
    public var now: Date { services.clock.now }

    /// The room's environment: the application's `env` and `secrets` (`PartyConfiguration`),
    /// overridden by the `env` the room was spawned with through the control API (kept across
    /// activations while the server remembers the room). Never logged by the server.
    public var env: [String: String] {
        let spawned = services.activations.environment(key)
        guard !services.environment.isEmpty else { return spawned }
        return services.environment.merging(spawned) { _, spawn in spawn }
    }

    // MARK: Capacity

    /// Locks the room: new connections are refused (503) and matchmaking passes it by, until
    /// `unlock()`; connected clients and reserved seats stay. Kept while the room is in memory.
    public func lock() {
        services.admission.setLocked(key, true)
    }

    /// Unlocks a room locked with `lock()`; it takes new clients again while it has free seats.
    public func unlock() {
        services.admission.setLocked(key, false)
    }

    /// Whether the room takes no new clients: locked with `lock()`, or every seat under
    /// `maxClients` taken or reserved.
    public var isLocked: Bool {
        services.admission.seats(key, maxClients: maxClients, now: services.clock.now).locked
    }

    /// Sets the room's metadata (at most 4 KiB as JSON; nil removes it): matchmaking filters on
    /// it and the control API's room list shows it. Kept while the room is in memory.
    public func setMetadata<T: Encodable>(_ value: T?) throws(PartyError) {
        guard let value else {
            services.admission.setMetadata(key, nil)
            return
        }
        let message = try Message.json(value)
        guard message.count <= 4096 else { throw .metadataTooLarge(message.count) }
        do {
            services.admission.setMetadata(key, try message.decode(AnyJSON.self))
        } catch {
            throw .messageEncoding("\(error)")
        }
    }

    /// The room's metadata, as set with `setMetadata` (or by matchmaking when it created the
    /// room): `room.metadata?.decode(Info.self)`.
    public var metadata: JSONPayload? {
        services.admission.seats(key, maxClients: maxClients, now: services.clock.now).metadata.flatMap { try? JSONPayload(encoding: $0) }
    }

    // MARK: Alarms

    /// Sets the room's one alarm to `date`, replacing any earlier one. A time in the past fires
    /// at once. When it fires, `onAlarm` runs, waking the room if needed. It is a storage write:
    /// inside a hook it is committed with the event's other writes, outside one it is durable
    /// when this returns.
    nonisolated(nonsending) public func setAlarm(at date: Date) async throws(StorageError) {
        try await services.alarms.set(key, at: date, through: storage)
    }

    /// The time of the room's pending alarm, if any (`nil` while the alarm's own `onAlarm` runs,
    /// unless it set a new one).
    public func alarm() -> Date? {
        services.alarms.alarm(for: key)
    }

    /// Deletes the room's alarm, if any; a storage write like `setAlarm(at:)`.
    nonisolated(nonsending) public func deleteAlarm() async throws(StorageError) {
        try await services.alarms.delete(key, through: storage)
    }

    // MARK: Sending

    /// Sends `value` as JSON text (encoded once) to every open connection except those whose id
    /// is in `excluding`; throws when it does not encode.
    public func broadcast<T: Encodable>(json value: T, excluding: [String] = []) throws(PartyError) {
        broadcast(try Message.json(value), excluding: excluding)
    }

    /// Sends `message` to every open connection except those whose ids are in `excluding`.
    public func broadcast(_ message: Message, excluding: [String] = []) {
        let frame = broadcastFrame(message)
        let sent = members.withLock { members in
            if excluding.isEmpty {
                return gate.send(frame, toEach: members)
            }
            return gate.send(frame, toEach: members.lazy.filter { !excluding.contains($0.id) })
        }
        messagesOut.increment(by: sent)
    }

    /// Sends `message` to every open connection except `connection` itself (other connections that
    /// reuse its id still receive it). The relay hot path: allocates nothing per call, except one
    /// small shared slot for a message at or over the compression minimum size, so that it is
    /// compressed once for all its recipients.
    public func broadcast(_ message: Message, excluding connection: Connection) {
        let frame = broadcastFrame(message)
        let sent = members.withLock { members in
            gate.send(frame, toEach: members.lazy.filter { $0 !== connection })
        }
        messagesOut.increment(by: sent)
    }

    /// The frame every recipient of a broadcast queues; a message the edge may compress gets a
    /// slot for its compressed form, so it is compressed once for all of them.
    @inline(__always)
    private func broadcastFrame(_ message: Message) -> OutboundFrame {
        let encoding = message.buffer.readableBytes >= services.sharedEncodingMinimumSize ? SharedEncoding() : nil
        return OutboundFrame(kind: message.frameKind, data: message.buffer, encoding: encoding)
    }

    /// Sends a text message to every open connection except those in `excluding`.
    public func broadcast(text: String, excluding: [String] = []) {
        broadcast(.text(text), excluding: excluding)
    }

    /// The open connection with `id`, if any (the most recent one if a client reused its id).
    public func connection(id: String) -> Connection? {
        members.withLock { members in
            members.connection(id: id)
        }
    }

    /// Open connections carrying `tag`; with `nil`, every open connection. Never returns closing
    /// or closed connections.
    public func connections(tagged tag: String? = nil) -> [Connection] {
        members.withLock { members in
            members.filter { connection in
                connection.status == .open && (tag.map { connection.hasTag($0) } ?? true)
            }
        }
    }

    /// Open connections carrying every one of `tags` (all of them; none given: every open
    /// connection). Never returns closing or closed connections.
    public func connections(tagged tags: [String]) -> [Connection] {
        members.withLock { members in
            members.filter { connection in
                connection.status == .open && tags.allSatisfy { connection.hasTag($0) }
            }
        }
    }

    /// Number of connections registered with the room (open or closing).
    public var connectionCount: Int {
        members.withLock { $0.count }
    }

    /// Whether the room's connections moved from its small array to an index (more than
    /// `RoomMembers.listLimit` at once since the room was last empty).
    package var indexesConnections: Bool {
        members.withLock { $0.isIndexed }
    }

    /// Every connection registered with the room, open or closing.
    package var registeredConnections: [Connection] {
        members.withLock { Array($0) }
    }

    package func add(_ connection: Connection) {
        members.withLock { $0.add(connection) }
    }

    package func remove(_ connection: Connection) {
        members.withLock { $0.remove(connection) }
    }
}
