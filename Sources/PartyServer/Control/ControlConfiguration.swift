/// The session control API (`/{prefix}/…`) and the limits it applies to rooms; every field has a
/// documented default. Without an `apiKey` the HTTP API is off (404), while the Swift API
/// (`PartyApplication.rooms`), statuses and the startup timeout always work.
public struct ControlConfiguration: Sendable {
    /// First path segment of the control API and the inspector (`/_party/connect`). Must differ
    /// from the rooms' prefix. Default `_party`.
    public var prefix: String
    /// The key clients send as `Authorization: Bearer KEY`; `nil` (default) turns the HTTP API
    /// off. Compared in constant time, never logged.
    public var apiKey: String?
    /// How long `onStart` may run when a room starts a new activation before the activation ends
    /// with `startup_timeout`. Wake-ups from hibernation are not limited. Default 30 s.
    public var startupTimeout: Duration
    /// How long a connection token from `connect` is valid. Default 5 minutes.
    public var tokenLifetime: Duration
    /// How long a soft termination waits for hooks (`onClose`, hooks in flight) to finish after
    /// closing the connections; then it finishes as a hard one. Default 30 s.
    public var terminationGrace: Duration
    /// The idle limit of rooms spawned without `max_idle_seconds`: terminated after this long
    /// without connections. Default 5 minutes.
    public var defaultMaxIdle: Duration
    /// How long `GET …/status?wait=ready` waits for `ready` (or the end) before answering with the
    /// current status. Default 60 s.
    public var readyTimeout: Duration
    /// How often a status stream sends a comment line, so idle streams stay open through proxies
    /// and a vanished client is noticed. Default 15 s.
    public var streamHeartbeat: Duration
    /// How many terminated rooms keep their last status (and their token requirement) for
    /// `status` and the room list; the oldest are forgotten first. Default 1000.
    public var retainedTerminatedRooms: Int
    /// Base URL that clients use to reach this server (`https://rooms.example.com`), for the URLs
    /// in `connect` answers; `nil` (default) uses `http://` and the request's `Host` header.
    public var publicURL: String?
    /// The key that signs connection tokens (at least 32 bytes; never logged). `nil` (default):
    /// the file `control-token.key` in the data directory, made with 32 random bytes and mode
    /// 0600 at the first start. Tokens stay valid across restarts while the key stays.
    public var tokenSigningKey: String?
    /// Earlier signing keys that still verify tokens (at least 32 bytes each). To rotate: move
    /// the old key here (or delete the key file to invalidate every token) and restart. Default
    /// empty.
    public var previousTokenSigningKeys: [String]
    /// The server type a `connect` request without `server` uses (Jamsocket's requests name no
    /// server type: its service plays that part). `nil` (default): `server` is required, unless
    /// exactly one server type is registered.
    public var defaultServer: String?

    /// Creates a configuration; every argument has its documented default.
    public init(
        prefix: String = "_party",
        apiKey: String? = nil,
        startupTimeout: Duration = .seconds(30),
        tokenLifetime: Duration = .seconds(300),
        terminationGrace: Duration = .seconds(30),
        defaultMaxIdle: Duration = .seconds(300),
        readyTimeout: Duration = .seconds(60),
        streamHeartbeat: Duration = .seconds(15),
        retainedTerminatedRooms: Int = 1000,
        publicURL: String? = nil,
        tokenSigningKey: String? = nil,
        previousTokenSigningKeys: [String] = [],
        defaultServer: String? = nil
    ) {
        self.prefix = prefix
        self.apiKey = apiKey
        self.startupTimeout = startupTimeout
        self.tokenLifetime = tokenLifetime
        self.terminationGrace = terminationGrace
        self.defaultMaxIdle = defaultMaxIdle
        self.readyTimeout = readyTimeout
        self.streamHeartbeat = streamHeartbeat
        self.retainedTerminatedRooms = retainedTerminatedRooms
        self.publicURL = publicURL
        self.tokenSigningKey = tokenSigningKey
        self.previousTokenSigningKeys = previousTokenSigningKeys
        self.defaultServer = defaultServer
    }

    /// Whether the HTTP API and the inspector are served.
    public var isHTTPEnabled: Bool { apiKey.map { !$0.isEmpty } ?? false }
}

extension ControlConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fields with the API key and the token signing keys redacted.
    public var description: String {
        "ControlConfiguration(prefix: \(prefix.debugDescription), apiKey: \(apiKey == nil ? "nil" : "<redacted>"), "
            + "startupTimeout: \(startupTimeout), tokenLifetime: \(tokenLifetime), terminationGrace: \(terminationGrace), "
            + "defaultMaxIdle: \(defaultMaxIdle), "
            + "readyTimeout: \(readyTimeout), streamHeartbeat: \(streamHeartbeat), "
            + "retainedTerminatedRooms: \(retainedTerminatedRooms), publicURL: \(publicURL?.debugDescription ?? "nil"), "
            + "tokenSigningKey: \(tokenSigningKey == nil ? "nil" : "<redacted>"), previousTokenSigningKeys: \(previousTokenSigningKeys.count) <redacted>, "
            + "defaultServer: \(defaultServer?.debugDescription ?? "nil"))"
    }

    /// The same as `description`.
    public var debugDescription: String { description }

    /// A mirror without the API key and the token signing keys, so dumps and logs of a configuration never show it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "prefix": prefix, "apiKey": apiKey == nil ? "nil" : "<redacted>", "startupTimeout": startupTimeout,
                "tokenLifetime": tokenLifetime, "terminationGrace": terminationGrace, "defaultMaxIdle": defaultMaxIdle,
                "readyTimeout": readyTimeout, "streamHeartbeat": streamHeartbeat,
                "retainedTerminatedRooms": retainedTerminatedRooms, "publicURL": publicURL as Any,
                "tokenSigningKey": tokenSigningKey == nil ? "nil" : "<redacted>",
                "previousTokenSigningKeys": "\(previousTokenSigningKeys.count) <redacted>",
                "defaultServer": defaultServer as Any,
            ],
            displayStyle: .struct
        )
    }
}
