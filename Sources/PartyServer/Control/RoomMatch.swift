import Foundation

/// What `match` returns: a room with a seat held for one client, and how to take it.
public struct RoomMatch: Sendable, Equatable {
    /// The room, as `connect` describes it (`spawned` when no room had a free seat).
    public var room: RoomConnectResult
    /// The reservation's id: the client presents it as the `seat` query parameter.
    public var seat: String
    /// When the seat is given up if no client took it.
    public var seatExpiresAt: Date

    /// Creates a match.
    public init(room: RoomConnectResult, seat: String, seatExpiresAt: Date) {
        self.room = room
        self.seat = seat
        self.seatExpiresAt = seatExpiresAt
    }
}

extension RoomControl {
    /// Finds a room of `server` that takes new clients and whose metadata has every field of
    /// `metadata` (a JSON object; nil matches any room), fullest first, and reserves a seat in it
    /// for `ServerOptions.seatReservationTime`; with none, spawns one whose metadata starts as
    /// `metadata` (its `onStart` may change it) and reserves a seat there (Colyseus'
    /// `joinOrCreate`). A reserved seat counts toward `maxClients` until its client connects with
    /// `?seat=` or it expires. With `user`, the answer carries a connection token as `connect`'s
    /// does. On several nodes, only rooms of the node that answers are considered.
    public func match(server: String, metadata: JSONPayload? = nil, user: String? = nil, auth: JSONPayload? = nil) async throws(ControlError) -> RoomMatch {
        let registry = try registry()
        let server = server.lowercased()
        guard let registration = registry.registration(named: server) else {
            throw .unknownServer(server, registered: registry.registrations.keys.sorted())
        }
        let filter: [String: AnyJSON]
        switch try metadata.map({ (payload) throws(ControlError) in try Self.object(payload) }) {
        case .some(let fields): filter = fields
        case nil: filter = [:]
        }
        let admission = registry.services.admission
        let clock = registry.services.clock
        let maxClients = registration.options.maxClients
        let hold = registration.options.seatReservationTime.timeInterval
        let directory = try directory()
        let candidates = directory.list(server: server, status: nil, limit: .max).compactMap { entry -> (key: RoomKey, taken: Int)? in
            guard !entry.event.status.isEnding else { return nil }
            let key = RoomKey(server: server, name: entry.event.name)
            let seats = admission.seats(key, maxClients: maxClients, now: clock.now)
            guard !seats.locked, Self.matches(seats.metadata, filter) else { return nil }
            return (key, seats.clients + seats.reserved)
        }
        // Fullest first (rooms fill up before new ones open), then by name.
        let ordered = candidates.sorted { $0.taken != $1.taken ? $0.taken > $1.taken : $0.key.name < $1.key.name }
        for (key, _) in ordered {
            let now = clock.now
            guard let seat = admission.reserveSeat(key, maxClients: maxClients, now: now, expiry: now.addingTimeInterval(hold)) else { continue }
            let status = directory.status(key)?.status ?? .ready
            let token = try await user.asyncMap { user throws(ControlError) in
                try await directory.tokens.sign(server: server, name: key.name, user: user, auth: auth)
            }
            let room = RoomConnectResult(server: server, name: key.name, spawned: false, status: status, key: nil, token: token)
            return RoomMatch(room: room, seat: seat, seatExpiresAt: now.addingTimeInterval(hold))
        }
        let created = try await connect(server: server, spawn: RoomSpawn(), user: user, auth: auth)
        let key = RoomKey(server: server, name: created.name)
        if !filter.isEmpty { admission.setMetadata(key, .object(filter)) }
        let now = clock.now
        guard let seat = admission.reserveSeat(key, maxClients: maxClients, now: now, expiry: now.addingTimeInterval(hold)) else {
            throw .overLimit("a new room of \(server) has no seat to reserve (maxClients is \(maxClients ?? 0))")
        }
        return RoomMatch(room: created, seat: seat, seatExpiresAt: now.addingTimeInterval(hold))
    }

    /// The fields of a JSON object.
    private static func object(_ payload: JSONPayload) throws(ControlError) -> [String: AnyJSON] {
        guard case .object(let fields)? = try? payload.decode(AnyJSON.self) else {
            throw .invalidArgument("metadata must be a JSON object of the fields a room must have")
        }
        return fields
    }

    /// Whether `metadata` has every field of `filter` with an equal value.
    private static func matches(_ metadata: AnyJSON?, _ filter: [String: AnyJSON]) -> Bool {
        guard !filter.isEmpty else { return true }
        guard case .object(let fields)? = metadata else { return false }
        return filter.allSatisfy { fields[$0.key] == $0.value }
    }
}
