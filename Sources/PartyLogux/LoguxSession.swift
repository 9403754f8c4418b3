import PartyRuntime
/// One connection's Logux session, kept as the connection's state (so it outlives hibernation).
struct LoguxSession: Codable, Sendable {
    /// The client's node id, once `connect` was accepted.
    var node: String?
    /// The `connected` send time (ms since 1970): ids and times on the wire are shifted from it.
    var base: Int64 = 0
    /// The client's subprotocol.
    var subprotocol: Int = 0
    /// The client's `headers` message (string values).
    var headers: [String: String] = [:]
}

/// How far one connection's client got, kept in memory only (it changes with every message;
/// after a hibernation the node's stored position stands in for it).
struct LoguxProgress: Sendable {
    /// The highest log position the client confirmed with `synced`.
    var synced: Int64
    /// The highest log position sent to the client.
    var sent: Int64
}

/// What the log remembers of a node between connections.
struct LoguxNodeRecord: Codable, Sendable {
    /// Channel → the log position the subscription started after.
    var subscriptions: [String: Int64] = [:]
    /// The node has every action addressed to it up to this log position.
    var position: Int64 = 0
    /// When the node last connected or left, ms since 1970.
    var seen: Int64 = 0
}
