import PartyCluster
/// Configuration of a PartyServer application; every field has a documented default.
public struct PartyConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String
    /// Port to bind; `0` picks a free port. Default `1999`.
    public var port: Int
    /// Directory for durable room data, created if missing. Default `.partyserver`.
    public var dataDirectory: String
    /// First path segment of room URLs (`/{prefix}/{server}/{name}`). Default `parties`.
    public var prefix: String
    /// Cross-origin requests: `nil` (default) sends no CORS headers.
    public var cors: CORSConfiguration?
    /// Largest inbound WebSocket message, in bytes; larger closes with 1009. Default 1 MiB.
    public var maxMessageSize: Int
    /// Largest HTTP request body, in bytes; larger gets 413. Default 1 MiB.
    public var maxRequestBodySize: Int
    /// permessage-deflate (RFC 7692) for WebSocket clients that offer it, or `nil` to never
    /// compress. Default `PerMessageDeflate()`: messages of 256 bytes or more, zlib level 6, no
    /// zlib state kept per connection.
    public var compression: PerMessageDeflate?
    /// Per-connection limits (outbound queue, state size).
    public var connectionLimits: ConnectionLimits
    /// How long a closing handshake may take before the TCP connection is dropped. Default 5 s.
    public var closeTimeout: Duration
    /// Whether `GET /` serves the demo chat page. Default `true`.
    public var serveDemoPage: Bool
    /// Value of the `Server` response header. Default `PartyServer`.
    public var serverName: String?
    /// Room storage: limits and durability. Default `StorageConfiguration()`.
    public var storage: StorageConfiguration
    /// Alarm retries and concurrency. Default `AlarmConfiguration()`.
    public var alarms: AlarmConfiguration
    /// The time source for idle timeouts, hibernation and alarms. Default `SystemClock()`.
    public var clock: any PartyClock
    /// Path serving Prometheus metrics, or `nil` for none. Default `/metrics`.
    public var metricsPath: String?
    /// JSON Web Token authentication of room requests, or `nil` for none. Default `nil`.
    public var jwt: JWTAuthentication?
    /// TLS (`https`/`wss`), or `nil` for plain `http`/`ws`. Default `nil`.
    public var tls: TLSSettings?
    /// Connection and room limits, message rate, header size, idle timeout. Default `ServerLimits()`.
    public var limits: ServerLimits
    /// Pings on quiet WebSockets to notice vanished peers, or `nil` for none. Default `KeepAlive()`
    /// (ping after 30 s of quiet, close 10 s later without an answer).
    public var keepAlive: KeepAlive?
    /// The time source for connection timing: keep-alive pings, idle timeouts and the message rate.
    /// Default `SystemClock()`. Separate from `clock`, so a test can move room time (alarms,
    /// hibernation) in big steps without every peer looking dead, or drive keep-alive alone.
    public var connectionClock: any PartyClock
    /// The session control API (`/_party/…`, off without an API key) and room limits. Default
    /// `ControlConfiguration()`.
    public var control: ControlConfiguration
    /// Several nodes on one PostgreSQL database, or `nil` (the default) for one process with the
    /// data directory's SQLite database. With it, storage, snapshots, alarms, worker accounts and
    /// control records live in PostgreSQL, each room is served by the node holding its lease,
    /// and requests reaching another node are forwarded there.
    public var cluster: ClusterConfiguration?
    /// Values every room reads in `room.env`; a room spawned with its own `env` overrides them
    /// name by name. Default empty.
    public var env: [String: String]
    /// Secret values every room reads in `room.env` (after `env`, before a spawn's `env`); never
    /// printed, dumped or logged. Default empty.
    public var secrets: RoomSecrets
    /// Addresses of reverse proxies in front of the server (IPv4 or IPv6 addresses, or CIDR
    /// ranges such as `10.0.0.0/8`). A request from one of them has its client address taken
    /// from `Forwarded: for=` or `X-Forwarded-For` (the nearest address not itself trusted);
    /// from anywhere else, those headers are ignored. Default empty: the peer address is the
    /// client address.
    public var trustedProxies: [String]

    /// Creates a configuration; every argument has its documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 1999,
        dataDirectory: String = ".partyserver",
        prefix: String = "parties",
        cors: CORSConfiguration? = nil,
        maxMessageSize: Int = 1 << 20,
        maxRequestBodySize: Int = 1 << 20,
        compression: PerMessageDeflate? = PerMessageDeflate(),
        connectionLimits: ConnectionLimits = ConnectionLimits(),
        closeTimeout: Duration = .seconds(5),
        serveDemoPage: Bool = true,
        serverName: String? = "PartyServer",
        storage: StorageConfiguration = StorageConfiguration(),
        alarms: AlarmConfiguration = AlarmConfiguration(),
        clock: any PartyClock = SystemClock(),
        metricsPath: String? = "/metrics",
        jwt: JWTAuthentication? = nil,
        tls: TLSSettings? = nil,
        limits: ServerLimits = ServerLimits(),
        keepAlive: KeepAlive? = KeepAlive(),
        connectionClock: any PartyClock = SystemClock(),
        control: ControlConfiguration = ControlConfiguration(),
        cluster: ClusterConfiguration? = nil,
        env: [String: String] = [:],
        secrets: RoomSecrets = RoomSecrets(),
        trustedProxies: [String] = []
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.prefix = prefix
        self.cors = cors
        self.maxMessageSize = maxMessageSize
        self.maxRequestBodySize = maxRequestBodySize
        self.compression = compression
        self.connectionLimits = connectionLimits
        self.closeTimeout = closeTimeout
        self.serveDemoPage = serveDemoPage
        self.serverName = serverName
        self.storage = storage
        self.alarms = alarms
        self.clock = clock
        self.metricsPath = metricsPath
        self.jwt = jwt
        self.tls = tls
        self.limits = limits
        self.keepAlive = keepAlive
        self.connectionClock = connectionClock
        self.control = control
        self.cluster = cluster
        self.env = env
        self.secrets = secrets
        self.trustedProxies = trustedProxies
    }
}

extension PartyConfiguration {
    /// Checks that every `trustedProxies` entry is an IP address or CIDR range (the server
    /// checks it too when it starts).
    public func validateTrustedProxies() throws(PartyError) {
        _ = try TrustedProxies(trustedProxies)
    }
}
