import HTTPTypes
import Logging

/// A server type: each named room is one instance of it, an actor.
///
/// Adopt it with `actor Chat: Server { ... }` and implement only the hooks you need; every hook
/// has a default. Hooks run on the actor, one at a time. `onStart` runs once per activation and
/// completes before any other hook or request reaches the instance.
public protocol Server: Actor {
    /// Creates the instance for `room`. Keep it cheap; do I/O in `onStart`.
    init(room: Room)

    /// Options for every room of this type (default: `ServerOptions()`).
    static var options: ServerOptions { get }

    /// Runs before any other hook, once per activation. Throwing fails the request that woke the
    /// room (HTTP 500 / close 1011); the next request tries again.
    func onStart() async throws

    /// A WebSocket connection was accepted and registered with the room.
    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws

    /// A complete text or binary message arrived on `connection`.
    func onMessage(_ connection: Connection, _ message: Message) async throws

    /// `connection` closed; `code`, `reason` and `wasClean` describe how (1006 if the peer vanished).
    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws

    /// With `ServerOptions.reconnectionWindow`: `connection` dropped (the peer vanished) and may
    /// come back within the window, keeping its state, tags and seat. `onClose` follows only if
    /// it does not.
    func onDrop(_ connection: Connection, code: Int, reason: String) async throws

    /// A dropped client came back within the reconnection window with the same `_pk`:
    /// `connection` is its new connection, with the old one's state and tags (`onConnect` and
    /// `getConnectionTags` do not run for it).
    func onReconnect(_ connection: Connection, _ context: ConnectionContext) async throws

    /// A hook threw for `connection` (it is being closed with 1011), or the client broke the
    /// protocol or a limit (a `ConnectionProtocolError`; it is being closed with its code).
    func onError(_ connection: Connection, _ error: any Error) async

    /// The room's alarm came due (see `Room.setAlarm(at:)`). Runs after `onStart`, waking a
    /// hibernated or evicted room. Throwing retries it with exponential backoff.
    func onAlarm(_ info: AlarmInfo) async throws

    /// An HTTP request to `/{prefix}/{server}/{name}[/path]`. Default: 404.
    func onRequest(_ request: Request) async throws -> Response

    /// Tags for a new connection (the connection id is always the first tag). At most 9 more,
    /// each 1–256 characters.
    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String]

    /// Runs before a WebSocket upgrade, before any room is started or woken. Return the request
    /// (optionally modified, e.g. with `user` set) to let it through, or throw a `Rejection`.
    static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request

    /// Runs before an HTTP request reaches the room, before any room is started or woken. Return
    /// the request (optionally modified) to let it through, or throw a `Rejection`.
    static func onBeforeRequest(_ request: Request, lobby: Lobby) async throws -> Request
}

extension Server {
    /// Default options: no hibernation.
    public static var options: ServerOptions { ServerOptions() }

    /// Does nothing.
    public func onStart() async throws {}

    /// Does nothing.
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {}

    /// Does nothing.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {}

    /// Does nothing.
    public func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {}

    /// Does nothing.
    public func onDrop(_ connection: Connection, code: Int, reason: String) async throws {}

    /// Does nothing.
    public func onReconnect(_ connection: Connection, _ context: ConnectionContext) async throws {}

    /// Logs the error on the room's logger (a protocol error was logged already when the
    /// connection started closing).
    public func onError(_ connection: Connection, _ error: any Error) async {
        guard !(error is ConnectionProtocolError) else { return }
        connection.room.logger.error(
            "hook failed; closing connection with 1011",
            metadata: ["connection": .string(connection.id), "error": .string("\(error)")]
        )
    }

    /// Does nothing (the alarm is consumed).
    public func onAlarm(_ info: AlarmInfo) async throws {}

    /// Answers 404 with a JSON error body.
    public func onRequest(_ request: Request) async throws -> Response {
        .error(.notFound, "this room does not handle HTTP requests")
    }

    /// No tags beyond the connection id.
    public func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] { [] }

    /// Lets every request through unchanged.
    public static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request { request }

    /// Lets every request through unchanged.
    public static func onBeforeRequest(_ request: Request, lobby: Lobby) async throws -> Request { request }
}
