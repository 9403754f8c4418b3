import Foundation

/// What ``PartyControl/connect(_:)`` asks for: Jamsocket's `ConnectRequest` plus `server`.
///
/// - nothing: a new room of the default server type.
/// - `key`: the live room holding it, else a new one that takes it (unless `spawn` is `.never`).
/// - `spawn: .options(…)`: a new room with these limits (or the room holding `key`).
public struct PartyConnectRequest: Sendable, Encodable {
    /// Whether and how to create a room.
    public enum Spawn: Sendable, Equatable {
        /// Create one with the server's defaults when none is found (the default).
        case defaults
        /// Never create one: `key` must be held by a live room.
        case never
        /// Create one with these options when none is found.
        case options(PartySpawnOptions)
    }

    /// The server type; nil (default) uses the server's configured default type.
    public var server: String?
    /// The key that names the room among live rooms of its type. Default none.
    public var key: String?
    /// Whether and how to create a room. Default `.defaults`.
    public var spawn: Spawn
    /// The user a connection token is issued for. Default none (no token).
    public var user: String?
    /// What the room sees as the connection's `auth`, encoded as JSON (needs `user`): a
    /// dictionary or any `Encodable` value. Default none.
    public var auth: (any Encodable & Sendable)?

    /// Creates a request; every argument has its documented default.
    public init(server: String? = nil, key: String? = nil, spawn: Spawn = .defaults, user: String? = nil, auth: (any Encodable & Sendable)? = nil) {
        self.server = server
        self.key = key
        self.spawn = spawn
        self.user = user
        self.auth = auth
    }

    enum CodingKeys: String, CodingKey {
        case server, key, spawn, user, auth
    }

    /// The JSON the control API reads (`spawn` as `true`, `false` or an object).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encodeIfPresent(key, forKey: .key)
        switch spawn {
        case .defaults: try container.encode(true, forKey: .spawn)
        case .never: try container.encode(false, forKey: .spawn)
        case .options(let options): try container.encode(options, forKey: .spawn)
        }
        try container.encodeIfPresent(user, forKey: .user)
        if let auth { try container.encode(auth, forKey: .auth) }
    }
}

/// How to create a room: Jamsocket's `SpawnOptions`.
public struct PartySpawnOptions: Sendable, Equatable, Encodable {
    /// A label of the room's version; a room holding the key under another tag is an error.
    public var tag: String?
    /// The room is terminated this long after it was created (`key_expired`). Default none.
    public var lifetimeLimit: Duration?
    /// The room is terminated after this long without connections (`swept`). Default: the server's.
    public var maxIdle: Duration?
    /// Values the room reads as `room.env`. Default empty.
    public var env: [String: String]

    /// Creates spawn options; every argument has its documented default.
    public init(tag: String? = nil, lifetimeLimit: Duration? = nil, maxIdle: Duration? = nil, env: [String: String] = [:]) {
        self.tag = tag
        self.lifetimeLimit = lifetimeLimit
        self.maxIdle = maxIdle
        self.env = env
    }

    enum CodingKeys: String, CodingKey {
        case tag, executable
        case lifetimeLimitSeconds = "lifetime_limit_seconds", maxIdleSeconds = "max_idle_seconds"
    }

    /// Jamsocket's shape: limits in seconds, `env` under `executable`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(tag, forKey: .tag)
        try container.encodeIfPresent(lifetimeLimit.map(Self.seconds), forKey: .lifetimeLimitSeconds)
        try container.encodeIfPresent(maxIdle.map(Self.seconds), forKey: .maxIdleSeconds)
        if !env.isEmpty { try container.encode(["env": env], forKey: .executable) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The answer of ``PartyControl/connect(_:)``: Jamsocket's `ConnectResponse` plus the room's
/// server type, name and key.
public struct PartyConnectResponse: Sendable, Equatable, Decodable {
    /// The room's id, `server/name`: pass it to `status`, `statusStream` and `terminate`.
    public var backendID: String
    /// Whether this call created the room.
    public var spawned: Bool
    /// The room's state when the call returned.
    public var status: PartyBackendState
    /// A connection token for the request's `user`, if one was given.
    public var token: String?
    /// The WebSocket URL of the room.
    public var url: String
    /// Always nil here: rooms verify signed connection tokens instead.
    public var secretToken: String?
    /// The room's status URL.
    public var statusURL: String
    /// The status URL that waits until the room is ready.
    public var readyURL: String
    /// The server type.
    public var server: String
    /// The room name.
    public var name: String
    /// The key the room holds, if any.
    public var key: String?

    enum CodingKeys: String, CodingKey {
        case backendID = "backend_id", spawned, status, token, url, server, name, key
        case secretToken = "secret_token", statusURL = "status_url", readyURL = "ready_url"
    }
}

/// The answer of ``PartyControl/match(server:metadata:user:auth:)``: a room and a seat held in it
/// for one client; its `room.url` carries the seat (`?seat=`).
public struct PartyMatchResponse: Sendable, Equatable, Decodable {
    /// The room (`spawned` when no room had a free seat).
    public var room: PartyConnectResponse
    /// The reservation's id.
    public var seat: String
    /// When the seat is given up if no client took it (ISO 8601).
    public var seatExpiresAt: String

    enum CodingKeys: String, CodingKey {
        case seat
        case seatExpiresAt = "seat_expires_at"
    }

    /// Reads the flat answer: the connect fields plus `seat` and `seat_expires_at`.
    public init(from decoder: any Decoder) throws {
        room = try PartyConnectResponse(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seat = try container.decode(String.self, forKey: .seat)
        seatExpiresAt = try container.decode(String.self, forKey: .seatExpiresAt)
    }
}
