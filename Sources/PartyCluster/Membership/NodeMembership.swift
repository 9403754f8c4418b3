import Logging
import PartyRuntime
import PostgresNIO

/// The nodes sharing the database: each registers with its address and heartbeats on the
/// database's clock (`now()`); a node whose last heartbeat is older than `deadAfter` is dead.
package final class NodeMembership: Sendable {
    /// This node's id.
    package let nodeID: String
    /// After how long without a heartbeat a node counts as dead.
    package let deadAfter: Duration
    let database: ClusterDatabase
    let logger: Logger

    /// A live node as the database last saw it.
    package struct Member: Sendable, Equatable {
        /// Its id.
        package var id: String
        /// Where other nodes reach it (`host:port`).
        package var address: String
        /// The rooms it last reported holding.
        package var rooms: Int
    }

    /// Membership of node `nodeID` in `database`.
    package init(nodeID: String, deadAfter: Duration, database: ClusterDatabase, logger: Logger) {
        self.nodeID = nodeID
        self.deadAfter = deadAfter
        self.database = database
        self.logger = logger
    }

    private var deadAfterSeconds: Double {
        deadAfter.timeInterval
    }

    /// Registers this node at `address`. Throws ``ClusterError/nodeIDInUse(_:)`` when a live node
    /// with the same id has another address (a node restarting at its own address takes its row back).
    package func register(address: String) async throws(ClusterError) {
        let rows: [PostgresRow]
        do {
            rows = try await database.query("""
                INSERT INTO party_nodes AS node (id, address, started_at, heartbeat_at)
                VALUES (\(nodeID), \(address), now(), now())
                ON CONFLICT (id) DO UPDATE
                    SET address = EXCLUDED.address, started_at = now(), heartbeat_at = now(), draining = false, rooms = 0
                    WHERE node.address = EXCLUDED.address OR node.draining
                       OR node.heartbeat_at < now() - make_interval(secs => \(deadAfterSeconds))
                RETURNING 1
                """)
        } catch {
            throw .databaseUnavailable("\(error)")
        }
        guard !rows.isEmpty else { throw .nodeIDInUse(nodeID) }
        logger.info("node registered", metadata: ["node": "\(nodeID)", "address": "\(address)"])
    }

    /// Records that this node is alive and holds `rooms` rooms.
    package func heartbeat(rooms: Int) async throws(StorageError) {
        try await database.query("UPDATE party_nodes SET heartbeat_at = now(), rooms = \(rooms) WHERE id = \(nodeID)")
    }

    /// Marks this node as leaving: it takes no new rooms, and others stop placing rooms on it.
    package func leave() async {
        do {
            try await database.query("UPDATE party_nodes SET draining = true WHERE id = \(nodeID)")
        } catch {
            logger.warning("could not mark the node as leaving", metadata: ["error": "\(error)"])
        }
    }

    /// The live nodes that take rooms (not draining), this one included when alive.
    package func liveMembers() async throws(StorageError) -> [Member] {
        let rows = try await database.query("""
            SELECT id, address, rooms FROM party_nodes
            WHERE NOT draining AND heartbeat_at > now() - make_interval(secs => \(deadAfterSeconds))
            ORDER BY id
            """)
        return try rows.map { row throws(StorageError) in
            let (id, address, rooms) = try PostgresStorageBackend.decode(row, (String, String, Int32).self)
            return Member(id: id, address: address, rooms: Int(rooms))
        }
    }
}
