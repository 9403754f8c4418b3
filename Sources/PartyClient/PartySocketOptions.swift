import Foundation
import NIOSSL
import PartyTime

/// Everything a ``PartySocket`` needs; only ``host`` and ``room`` have no default.
///
/// The names and defaults follow the JavaScript `partysocket` (with a 1 s minimum reconnection
/// delay, jitter, and a bounded queue):
///
/// ```swift
/// var options = PartySocketOptions(host: "localhost:1999", room: "lobby", party: "chat")
/// options.query = .dynamic { [("token", try await auth.freshToken())] }
/// options.maxRetries = 20
/// let socket = try PartySocket(options)
/// ```
public struct PartySocketOptions: Sendable {
    /// The server, with an optional port: `example.com`, `localhost:1999`, `[::1]:1999`, …
    public var host: String
    /// The room name.
    public var room: String
    /// The party: the route name of the server type. Default `main`.
    public var party: String
    /// The route prefix. Default `parties`.
    public var prefix: String
    /// Extra path after the room (`/{prefix}/{party}/{room}/{path}`). Default none.
    public var path: String?
    /// `ws`/`wss`. Default nil: `ws` for local and private hosts, `wss` otherwise.
    public var scheme: PartySocketScheme?
    /// The connection id, sent as `_pk` on every connection, so the room sees the same id after a
    /// reconnect. Default: a random UUID, fixed for the socket's lifetime.
    public var id: String
    /// Query parameters after `_pk`, fixed or computed before each attempt. Default none.
    public var query: PartyParameters
    /// Headers sent with the upgrade request and with `fetch` (e.g.
    /// `Authorization: PartyWorker <id>:<secret>`), fixed or computed before each attempt. Default none.
    public var headers: PartyParameters

    /// The delay before the first retry (before jitter). Default 1 s.
    public var minReconnectionDelay: Duration = .seconds(1)
    /// The longest delay between attempts. Default 10 s.
    public var maxReconnectionDelay: Duration = .seconds(10)
    /// The factor between consecutive delays. Default 1.3.
    public var reconnectionDelayGrowFactor: Double = 1.3
    /// How much longer than the exponential value a delay may randomly be, as a fraction from 0
    /// to 1. Default 0.5 (see ``PartyBackoff``).
    public var reconnectionJitter: Double = 0.5
    /// How long an attempt (TCP, TLS and the upgrade) may take before it is abandoned. Default 4 s.
    public var connectionTimeout: Duration = .seconds(4)
    /// How long a connection must stay open for the retry count to start again. Default 5 s.
    public var minUptime: Duration = .seconds(5)
    /// How many retries after a failed or dropped connection before the socket gives up and
    /// becomes ``PartySocketState/closed``; nil for no limit. Default nil.
    public var maxRetries: Int?
    /// How many messages are queued while the socket is not open; more are dropped. Default 1,000.
    public var maxEnqueuedMessages: Int = 1_000
    /// The largest message accepted from the server (and the largest `fetch` response); a larger
    /// one closes the connection with 1009. Default 16 MiB.
    public var maxMessageSize: Int = 16 * 1024 * 1024
    /// How long ``PartySocket/close()`` waits for the server's close frame. Default 5 s.
    public var closeTimeout: Duration = .seconds(5)
    /// How long a `fetch` may take. Default 30 s.
    public var fetchTimeout: Duration = .seconds(30)
    /// The clock for reconnection delays, connection timeouts, uptime and fetch timeouts.
    /// Default `SystemClock()`; tests inject a manual clock.
    public var clock: any PartyClock = SystemClock()
    /// The source of the jitter: a number in `0..<1`. Default `Double.random(in: 0..<1)`.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
    /// TLS settings for `wss`/`https`. Default `TLSConfiguration.makeClientConfiguration()`
    /// (the system's trust roots, certificate and host name verified).
    public var tlsConfiguration: TLSConfiguration = .makeClientConfiguration()

    /// Options for room `room` of party `party` on `host`; every other option has its default.
    public init(
        host: String,
        room: String,
        party: String = "main",
        prefix: String = "parties",
        path: String? = nil,
        id: String = UUID().uuidString.lowercased(),
        query: PartyParameters = [:],
        headers: PartyParameters = [:]
    ) {
        self.host = host
        self.room = room
        self.party = party
        self.prefix = prefix
        self.path = path
        self.id = id
        self.query = query
        self.headers = headers
    }

    /// The backoff these options describe.
    public var backoff: PartyBackoff {
        PartyBackoff(
            minDelay: minReconnectionDelay, maxDelay: maxReconnectionDelay,
            growFactor: reconnectionDelayGrowFactor, jitter: reconnectionJitter
        )
    }

    /// Checks every option; returns the socket's URL builder.
    func validate() throws(PartySocketError) -> PartySocketURL {
        let url = try PartySocketURL(host: host, room: room, party: party, prefix: prefix, path: path, scheme: scheme, id: id)
        try backoff.validate()
        for (name, value) in [("connectionTimeout", connectionTimeout), ("closeTimeout", closeTimeout), ("fetchTimeout", fetchTimeout)]
        where value <= .zero {
            throw .invalidOptions("\(name) is \(value); give a positive duration")
        }
        guard minUptime >= .zero else {
            throw .invalidOptions("minUptime is \(minUptime); give zero or a positive duration (default 5 s)")
        }
        if let maxRetries, maxRetries < 0 {
            throw .invalidOptions("maxRetries is \(maxRetries); give 0 or more, or nil for no limit")
        }
        guard maxEnqueuedMessages >= 0 else {
            throw .invalidOptions("maxEnqueuedMessages is \(maxEnqueuedMessages); give 0 or more (0 drops what is sent while not open)")
        }
        guard maxMessageSize >= 125 else {
            throw .invalidOptions("maxMessageSize is \(maxMessageSize); give at least 125 bytes")
        }
        if let fixed = headers.fixedPairs { _ = try HeaderValidation.validated(fixed, forWebSocket: true) }
        return url
    }
}
