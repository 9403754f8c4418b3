/// Admission and abuse limits of a server; every field has a documented default.
///
/// Over a connection limit the client gets `503 Service Unavailable` with `Retry-After` and a
/// JSON error body before any room is started or woken; over the message rate the connection is
/// closed with 1008; a request head over `maxHeaderSize` gets 431; an idle connection is closed.
/// Each refusal writes one log line at info level. `Int.max` (or `nil` for the optional fields)
/// turns a limit off.
public struct ServerLimits: Sendable, Equatable {
    /// Open TCP connections in the process (HTTP and WebSocket, counted from accept to close);
    /// a request or upgrade on a connection over it gets 503 with `Retry-After: 5`.
    /// Default 50,000, lowered at start to leave 1,024 (or a quarter, if smaller) of the process's
    /// open-file limit for storage files and over-limit answers.
    public var maxConnections: Int
    /// WebSockets to one room, upgrades in progress included; an upgrade over it gets 503 with
    /// `Retry-After: 5`. Default 10,000.
    public var maxConnectionsPerRoom: Int
    /// Rooms with an actor (starting, live or hibernating); a new connection or HTTP request that
    /// would start one more gets 503 with `Retry-After: 5`. Events for connections already open
    /// (messages, closes) and alarms still wake their rooms. Default 100,000.
    public var maxLiveRooms: Int
    /// Rooms starting at once (loading their snapshot, running `onStart`); a new connection or HTTP
    /// request that would start one more gets 503 with `Retry-After: 1`. Bounds the storm of
    /// activations after a restart. Default 1,000.
    public var maxPendingActivations: Int
    /// Messages (and pings) a client may send on one WebSocket: a token bucket; over it the
    /// connection is closed with 1008 and `onClose` runs. `nil` turns it off.
    /// Default 1,000 per second with bursts of 2,000: a burst holds a `PartySocket`'s whole
    /// reconnect queue (1,000 messages), so a client flushing it is never cut off, while a flood
    /// is closed within about two seconds.
    public var messageRate: MessageRate?
    /// Bytes of an HTTP request's target and header fields (names and values); a request head over
    /// it gets 431 Request Header Fields Too Large and the connection is closed. Default 16 KiB.
    public var maxHeaderSize: Int
    /// An HTTP connection that has not sent a complete request (head and body) for this long
    /// (slowloris, or an idle keep-alive connection), and a WebSocket from which no frame at all
    /// (pongs included) arrived for this long, is closed; `onClose` sees 1006, not clean. With
    /// keep-alive pings on, a WebSocket that answers them never idles. `nil` turns it off.
    /// Default 60 s.
    public var idleTimeout: Duration?

    /// Creates limits; every argument has its documented default.
    public init(
        maxConnections: Int = 50_000,
        maxConnectionsPerRoom: Int = 10_000,
        maxLiveRooms: Int = 100_000,
        maxPendingActivations: Int = 1_000,
        messageRate: MessageRate? = MessageRate(perSecond: 1_000, burst: 2_000),
        maxHeaderSize: Int = 16 * 1024,
        idleTimeout: Duration? = .seconds(60)
    ) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerRoom = maxConnectionsPerRoom
        self.maxLiveRooms = maxLiveRooms
        self.maxPendingActivations = maxPendingActivations
        self.messageRate = messageRate
        self.maxHeaderSize = maxHeaderSize
        self.idleTimeout = idleTimeout
    }
}
