/// Decides which node serves a room. With one node every room is local (``LocalOwnership``);
/// several nodes on one database hold a lease per room (`PartyCluster`), and a request for a room
/// another node owns is forwarded there.
package protocol RoomOwnership: Sendable {
    /// Where `key` is served: here (this node holds or just took its lease), at another node, or
    /// nowhere for now (the database cannot be reached). With `placing` false (a request another
    /// node forwarded here, an alarm), a room nobody holds is taken here instead of being placed.
    func locate(_ key: RoomKey, placing: Bool) async -> RoomLocation
}

/// Where a room is served.
package enum RoomLocation: Sendable, Equatable {
    /// On this node.
    case local
    /// On another node, reachable at `address` (`host:port`).
    case remote(node: String, address: String)
    /// Nowhere for now; the text says why (clients should retry: 503 or close code 1012).
    case unavailable(String)
}

/// One node serves every room.
package struct LocalOwnership: RoomOwnership {
    /// A single node's ownership: every room is local.
    package init() {}

    package func locate(_ key: RoomKey, placing: Bool) async -> RoomLocation { .local }
}
