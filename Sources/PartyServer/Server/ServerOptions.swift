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

    /// Creates options; every argument has its documented default.
    public init(hibernate: Bool = false, hibernateAfter: Duration = .seconds(10), autoResponse: AutoResponse? = nil) {
        self.hibernate = hibernate
        self.hibernateAfter = hibernateAfter
        self.autoResponse = autoResponse
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
