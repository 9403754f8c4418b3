import Foundation

/// Several nodes on one PostgreSQL database: where the database is, who this node is, and how
/// long room leases last.
public struct ClusterConfiguration: Sendable {
    /// The shared database; storage, snapshots, alarms, worker accounts and control records live
    /// there instead of the data directory's SQLite file.
    public var databaseURL: PostgresURL
    /// This node's id, unique among the nodes. Default: the host name and a random suffix.
    public var nodeID: String
    /// Where the other nodes reach this one, `host:port` (forwarded requests go there). Default
    /// `nil`: `127.0.0.1` and the port the server listens on.
    public var advertise: String?
    /// How long a room lease lasts without renewal. Default 10 s: a dead node's rooms come back on
    /// another node within two lease times (the lease expires, then the next event takes it).
    /// Leases and the node's heartbeat are renewed every third of it.
    public var leaseDuration: Duration

    /// A cluster member on `databaseURL`; every other argument has its documented default.
    public init(databaseURL: PostgresURL, nodeID: String? = nil, advertise: String? = nil, leaseDuration: Duration = .seconds(10)) {
        self.databaseURL = databaseURL
        self.nodeID = nodeID ?? Self.defaultNodeID()
        self.advertise = advertise
        self.leaseDuration = leaseDuration
    }

    /// How often leases and the heartbeat are renewed: a third of the lease.
    public var renewInterval: Duration { leaseDuration / 3 }

    /// After how long without a heartbeat a node counts as dead: one lease duration.
    public var deadAfter: Duration { leaseDuration }

    /// `HOST-XXXXXX`, with six random hexadecimal digits.
    static func defaultNodeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        return "\(host)-\(String(UInt32.random(in: 0...0xFFFFFF), radix: 16))"
    }
}
