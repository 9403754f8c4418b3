import Foundation
import PartyRuntime
import PartyServer

/// A server type that speaks the Logux protocol (version 5) to `@logux/client`: each room keeps
/// a durable action log, checks and applies the actions clients send, and resends them to the
/// subscribers of their channels.
///
/// ```swift
/// actor Todos: LoguxServer {
///     let room: Room
///     var logux = LoguxState()
///     init(room: Room) { self.room = room }
///
///     func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess {
///         action.type == "todo/add" ? .allow : .unknown
///     }
///     func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients {
///         .channel("todos")                      // every subscriber of "todos" gets it
///     }
///     func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess {
///         channel == "todos" ? .allow : .unknown
///     }
/// }
/// ```
///
/// The hooks `onStart`, `onConnect`, `onMessage` and `onClose` have Logux defaults; a type that
/// overrides one calls `loguxStart()`, `loguxConnect(_:)`, `loguxReceive(_:_:)` or
/// `loguxClose(_:)` from it. The connection's state holds its Logux session: do not replace it.
/// A type that sets its own `options` keeps `credentialsInMessages: true` there.
public protocol LoguxServer: Server {
    /// The room this instance serves.
    var room: Room { get }
    /// The room's Logux state in memory (`LoguxState()`).
    var logux: LoguxState { get set }
    /// Settings: subprotocols, limits, log cleaning. Default `LoguxOptions()`.
    static var loguxOptions: LoguxOptions { get }

    /// Whether a client may connect with `credentials`. Default: with `PartyConfiguration.jwt`
    /// set, the token must be a valid JSON Web Token whose `sub` is the node id's user; without
    /// it, every client may.
    func authenticate(_ credentials: LoguxCredentials) async throws -> Bool

    /// Whether the sender may add `action`. Default `.unknown` (undo with `unknown-type`).
    func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess

    /// Applies an allowed action and says who else receives it. Throwing undoes it for its
    /// sender (reason `error`). Default: nobody else.
    func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients

    /// Whether the sender may subscribe to `channel`. Default `.unknown` (undo with
    /// `wrong-channel`).
    func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess

    /// The actions a new subscriber of `channel` receives first (the channel's state, or what
    /// changed after `since`, the `since` field of its subscribe action). Default: none.
    func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction]
}

/// The `since` field of a `logux/subscribe` action: the newest action the client has seen.
public struct LoguxSince: Sendable, Equatable {
    /// That action's id.
    public let id: String
    /// That action's time, ms since 1970.
    public let time: Int64
}

extension LoguxServer {
    /// `ServerOptions(credentialsInMessages: true)`: clients send their token in `connect`, so a
    /// server that requires tokens lets their upgrades through and `authenticate(_:)` checks it.
    public static var options: ServerOptions { ServerOptions(credentialsInMessages: true) }

    /// `LoguxOptions()`.
    public static var loguxOptions: LoguxOptions { LoguxOptions() }

    /// With token authentication configured, a valid token whose `sub` is the node's user;
    /// otherwise anyone.
    public func authenticate(_ credentials: LoguxCredentials) async throws -> Bool {
        guard room.verifiesTokens else { return true }
        guard let token = credentials.token, let user = try? await room.verifyToken(token) else { return false }
        return user.id == credentials.userId
    }

    /// `.unknown`.
    public func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess { .unknown }

    /// Nobody else receives the action.
    public func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients { .none }

    /// `.unknown`.
    public func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess { .unknown }

    /// No actions.
    public func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction] { [] }

    /// Loads the log's state (`loguxStart()`).
    public func onStart() async throws { try await loguxStart() }

    /// Starts the client's session (`loguxConnect(_:)`).
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws { try await loguxConnect(connection) }

    /// Handles a Logux message (`loguxReceive(_:_:)`).
    public func onMessage(_ connection: Connection, _ message: Message) async throws { try await loguxReceive(connection, message) }

    /// Remembers where the client's node stopped (`loguxClose(_:)`).
    public func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        try await loguxClose(connection)
    }

    /// The current time in milliseconds since 1970, from the room's clock.
    var nowMilliseconds: Int64 { Int64((room.now.timeIntervalSince1970 * 1000).rounded(.down)) }

    var log: LoguxLog { LoguxLog(storage: room.storage) }

    /// Loads the room's node id and newest log position; makes a node id on first use. Call it
    /// from `onStart` when you override it.
    public func loguxStart() async throws {
        guard !logux.started else { return }
        if let node: String = try await room.storage.get("logux/server") {
            logux.serverNode = node
        } else {
            let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
            logux.serverNode = "server:" + String((0..<10).map { _ in alphabet.randomElement()! })
            try await room.storage.put("logux/server", logux.serverNode)
        }
        logux.lastAdded = try await room.storage.get("logux/last") ?? 0
        logux.started = true
        // Connections that outlived a hibernation keep their sessions; their nodes' records come back.
        for connection in room.connections() {
            guard let node = connection.state(as: LoguxSession.self)?.node, logux.nodes[node] == nil else { continue }
            logux.nodes[node] = try await log.record(node) ?? LoguxNodeRecord()
        }
    }
}
