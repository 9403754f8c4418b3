import PartyRuntime
/// An action's metadata as the log keeps it.
public struct LoguxMeta: Sendable, Equatable, Codable {
    /// The action id, `"<ms> <nodeId> <seq>"`.
    public var id: String
    /// The creation time, milliseconds since 1970 (corrected by the client for its clock).
    public var time: Int64
    /// The action's position in this room's log (set when it is added).
    public var added: Int64
    /// Channels whose subscribers receive the action.
    public var channels: [String]?
    /// Users (every node of theirs) that receive the action.
    public var users: [String]?
    /// Clients (`userId:clientId`) that receive the action.
    public var clients: [String]?
    /// Nodes that receive the action.
    public var nodes: [String]?
    /// Reasons to keep the action in the log (see `LoguxServer.removeReason(_:)`).
    public var reasons: [String]?
    /// The subprotocol of the node that created it.
    public var subprotocol: Int?

    /// Sets where the action goes (an empty list is left out).
    mutating func address(_ recipients: LoguxRecipients) {
        channels = recipients.channels.isEmpty ? nil : recipients.channels
        users = recipients.users.isEmpty ? nil : recipients.users
        clients = recipients.clients.isEmpty ? nil : recipients.clients
        nodes = recipients.nodes.isEmpty ? nil : recipients.nodes
    }

    /// The node that created the action (the id's middle part).
    public var node: String { LoguxActionID(text: id)?.node ?? "" }
}

/// One action of the log with its metadata, as stored.
struct LoguxEntry: Sendable, Codable {
    var action: [String: AnyJSON]
    var meta: LoguxMeta
}

/// Where an action goes besides the log: the subscribers of `channels`, every node of `users`,
/// of `clients` (`userId:clientId`) and the `nodes` themselves. The node that created an
/// action never receives it back.
public struct LoguxRecipients: Sendable, Equatable {
    /// Channels whose subscribers receive the action.
    public var channels: [String]
    /// Users whose nodes receive it.
    public var users: [String]
    /// Clients (`userId:clientId`) whose nodes receive it.
    public var clients: [String]
    /// Nodes that receive it.
    public var nodes: [String]

    /// Recipients; all empty by default (the action is only kept in the log).
    public init(channels: [String] = [], users: [String] = [], clients: [String] = [], nodes: [String] = []) {
        self.channels = channels
        self.users = users
        self.clients = clients
        self.nodes = nodes
    }

    /// The subscribers of `channel`.
    public static func channel(_ channel: String) -> LoguxRecipients { LoguxRecipients(channels: [channel]) }

    /// Every node of `user`.
    public static func user(_ user: String) -> LoguxRecipients { LoguxRecipients(users: [user]) }

    /// Nobody but the log.
    public static var none: LoguxRecipients { LoguxRecipients() }

    /// Whether nobody receives the action.
    public var isEmpty: Bool { channels.isEmpty && users.isEmpty && clients.isEmpty && nodes.isEmpty }
}
