import PartyRuntime
/// Settings of a Logux server type, with their defaults.
public struct LoguxOptions: Sendable {
    /// The application subprotocol the type speaks, sent in `connected`. Default 1.
    public var subprotocol: Int
    /// The oldest client subprotocol accepted; an older one (or none, read as 0) gets
    /// `wrong-subprotocol` and is closed. Default 1.
    public var minSubprotocol: Int
    /// The most actions one `sync` may carry; a larger one is refused whole with `wrong-format`.
    /// Default 100.
    public var maxActionsPerSync: Int
    /// The largest action, as JSON text, in bytes; a `sync` with a larger one is refused whole
    /// with `wrong-format`. Default 16 KiB.
    public var maxActionBytes: Int
    /// How many actions of one channel the log keeps for subscribers who are away; older ones are
    /// removed (a subscriber away for longer gets the channel's state from `load` when it
    /// subscribes again). Default 1,000.
    public var keepLastPerChannel: Int
    /// How long the log remembers a node (its subscriptions and position) after it last
    /// connected; actions only such forgotten nodes need are removed. Default 30 days.
    public var nodeLifetime: Duration
    /// How long a new connection has to send `connect`; then it gets a `timeout` error and is
    /// closed. Default 20 seconds.
    public var connectTimeout: Duration
    /// How many actions may be added between two cleanings of the log. Default 1,000.
    public var cleanEvery: Int

    /// Options with the defaults above, changed by the arguments given.
    public init(
        subprotocol: Int = 1, minSubprotocol: Int = 1, maxActionsPerSync: Int = 100, maxActionBytes: Int = 16 * 1024,
        keepLastPerChannel: Int = 1000, nodeLifetime: Duration = .seconds(30 * 86_400), connectTimeout: Duration = .seconds(20),
        cleanEvery: Int = 1000
    ) {
        self.subprotocol = subprotocol
        self.minSubprotocol = minSubprotocol
        self.maxActionsPerSync = maxActionsPerSync
        self.maxActionBytes = maxActionBytes
        self.keepLastPerChannel = keepLastPerChannel
        self.nodeLifetime = nodeLifetime
        self.connectTimeout = connectTimeout
        self.cleanEvery = cleanEvery
    }
}

/// What a Logux server type answers when asked whether an action or a subscription may go on.
public enum LoguxAccess: Sendable, Equatable {
    /// Go on.
    case allow
    /// Refused: the sender gets `logux/undo` with `reason` (`"denied"` by convention).
    case deny(reason: String)
    /// The type does not know the action type (undo reason `unknown-type`) or the channel
    /// (undo reason `wrong-channel`).
    case unknown

    /// Refused with reason `denied`.
    public static var deny: LoguxAccess { .deny(reason: "denied") }
}

/// What a client presented in `connect`, for `LoguxServer.authenticate(_:)`.
public struct LoguxCredentials: Sendable {
    /// The client's node id (`userId:clientId:tabId`).
    public let node: LoguxNodeID
    /// The `token` option, if the client sent one.
    public let token: String?
    /// The client's application subprotocol (0 when it sent none).
    public let subprotocol: Int
    /// The values of the client's `headers` message, if it sent one before `connect`.
    public let headers: [String: String]
    /// The connection the client is on.
    public let connection: Connection

    /// The user part of the node id.
    public var userId: String { node.userId }
}

/// Who sent an action and how, for `access` and `process`.
public struct LoguxContext: Sendable {
    /// The sender's node id.
    public let node: LoguxNodeID
    /// The sender's application subprotocol.
    public let subprotocol: Int
    /// The action's metadata (its id, time, and `added` once in the log).
    public let meta: LoguxMeta
    /// The sender's connection.
    public let connection: Connection
    /// The values of the sender's `headers` message.
    public let headers: [String: String]

    /// The sender's user id.
    public var userId: String { node.userId }
    /// The sender's client id, `userId:clientId`.
    public var clientId: String { node.clientId }
}
