/// What `connect` returns: the room, whether it was created, and how to connect to it.
public struct RoomConnectResult: Sendable, Equatable {
    /// The route name of the room's server type.
    public var server: String
    /// The room name (generated when the room was spawned).
    public var name: String
    /// Whether this call created the room.
    public var spawned: Bool
    /// The room's status when the call returned.
    public var status: RoomStatus
    /// The key the room holds, if it was spawned with one.
    public var key: String?
    /// A short-lived connection token bound to this room and the `user` given, or `nil` when no
    /// user was given. Clients pass it as the `token` query parameter (or `Authorization: Bearer`).
    public var token: String?

    /// Creates a result.
    public init(server: String, name: String, spawned: Bool, status: RoomStatus, key: String? = nil, token: String? = nil) {
        self.server = server
        self.name = name
        self.spawned = spawned
        self.status = status
        self.key = key
        self.token = token
    }

    /// `server/name`: the room's id in the control API.
    public var roomID: String { "\(server)/\(name)" }
}
