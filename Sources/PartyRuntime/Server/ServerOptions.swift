/// Per-server-type options, returned by `static var options` (or given to `register(_:as:options:)`).
public struct ServerOptions: Sendable {
    /// Whether idle rooms of this type hibernate: after `hibernateAfter` without any event in
    /// flight, the room's snapshot (if it adopts `Snapshotting`) is written to storage and its
    /// actor is released while its WebSockets stay open. Default `false`: an idle room is instead
    /// evicted once it has no connections.
    public var hibernate: Bool
    /// How long a room must be idle (no hook or request in flight) before it hibernates, or,
    /// without hibernation, is evicted once it has no connections. Default 10 s.
    public var hibernateAfter: Duration
    /// A fixed text message answered with a fixed text without waking the room (or running
    /// `onMessage` when it is live). Default `nil`.
    public var autoResponse: AutoResponse?
    /// Whether the room's events run one at a time (the input gate). Default `true`: a message,
    /// connection, close, request or alarm starts its hook only after the previous event's hook
    /// has returned, in arrival order, so a read-modify-write of storage (or of the actor's own
    /// properties) across `await`s is never interleaved with another event. A hook that awaits
    /// something slow (an HTTP call, `Task.sleep`) holds the room's other events back meanwhile.
    /// `false`: hooks interleave at every `await`, as plain actor methods do; storage writes are
    /// then committed whenever any event ends, and read-modify-write sequences need your own care.
    public var inputGate: Bool
    /// The most WebSocket clients one room of this type holds (Colyseus' `maxClients`). A room
    /// with every seat taken or reserved locks itself: new connections are refused with 503
    /// before any hook runs, and matchmaking passes it by; it unlocks when a seat frees (unless
    /// it locked itself with `room.lock()`). Default `nil`: no maximum besides
    /// `ServerLimits.maxConnectionsPerRoom`.
    public var maxClients: Int?
    /// How long a seat reserved by matchmaking (`POST /_party/match`) is held for its client.
    /// Default 15 s.
    public var seatReservationTime: Duration
    /// How long a client whose connection dropped (the peer vanished: 1006, or no answer to
    /// keep-alive pings) may come back with the same `_pk` and keep its connection state, tags
    /// and seat (Colyseus' `allowReconnection`). The room hears `onDrop` at once, then
    /// `onReconnect` when it comes back, or `onClose` once the window passed. A client that
    /// closes the connection itself leaves at once. Default `nil`: no window, `onClose` at once.
    public var reconnectionWindow: Duration?
    /// Whether clients of this type present their credentials in their first message (as Logux
    /// clients do in `connect`) and the type checks them itself: a server whose
    /// `JWTAuthentication.required` is set then lets WebSocket upgrades to it through without a
    /// token (HTTP requests still need one). Default `false`.
    public var credentialsInMessages: Bool

    /// Creates options; every argument has its documented default.
    public init(
        hibernate: Bool = false, hibernateAfter: Duration = .seconds(10), autoResponse: AutoResponse? = nil, inputGate: Bool = true,
        maxClients: Int? = nil, seatReservationTime: Duration = .seconds(15), reconnectionWindow: Duration? = nil,
        credentialsInMessages: Bool = false
    ) {
        self.credentialsInMessages = credentialsInMessages
        self.reconnectionWindow = reconnectionWindow
        self.hibernate = hibernate
        self.hibernateAfter = hibernateAfter
        self.autoResponse = autoResponse
        self.inputGate = inputGate
        self.maxClients = maxClients
        self.seatReservationTime = seatReservationTime
    }
}

/// A request text answered with a response text by the runtime, without the room (e.g. `ping` → `pong`).
public struct AutoResponse: Sendable, Equatable {
    /// The exact text message to answer.
    public var request: String
    /// The text sent back to the sender.
    public var response: String

    /// Answers `request` with `response`.
    public init(request: String, response: String) {
        self.request = request
        self.response = response
    }
}
