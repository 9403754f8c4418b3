import Logging
import PartyRuntime
import PostgresNIO
import Synchronization

/// This node's leases on rooms: at most one node holds a room's lease, and only the holder
/// activates the room and writes its state.
///
/// A lease is a row of `party_room_leases` with its holder, a fencing token and an expiry on the
/// database's clock. Acquiring it is one atomic statement that succeeds when the row is free,
/// expired or already this node's, and raises the token each time, so every activation of a room
/// has a token greater than any before it. Writes of the room check the token in their own
/// transaction (``PostgresStorageBackend``). Machine clocks are never compared: the database
/// decides expiry, and this node counts a lease as valid only until its own monotonic clock says
/// `duration - margin` has passed since it *sent* the statement that granted or renewed it, which
/// is before the database's expiry. Past that, ``token(server:room:)`` is `nil` and the node's
/// writes of the room fail without asking the database (self-fencing), even while it is paused
/// or cut off from the database.
package final class RoomLeases: Sendable {
    /// This node's id, the `node_id` of the leases it holds.
    package let nodeID: String
    /// How long a lease lasts past its last grant or renewal.
    package let duration: Duration
    /// How long before the database's expiry this node stops using a lease it could not renew.
    package let margin: Duration
    let database: ClusterDatabase
    let logger: Logger
    /// Monotonic time since an arbitrary origin (a `ContinuousClock` by default).
    private let elapsed: @Sendable () -> Duration
    private let held = Mutex<[RoomKey: Held]>([:])
    /// Acquisitions in flight: concurrent callers for one room share one statement, so a node
    /// never raises its own token under a request that already uses it.
    private let inFlight = Mutex<[RoomKey: Task<Result<Acquisition, StorageError>, Never>]>([:])

    /// One lease this node holds.
    private struct Held {
        var token: Int64
        /// On `elapsed`'s scale.
        var validUntil: Duration
    }

    /// The outcome of ``acquire(server:room:)``.
    package enum Acquisition: Sendable, Equatable {
        /// This node holds the lease with this fencing token; `previous` held it before (nil
        /// for a room never leased).
        case acquired(token: Int64, previous: String?)
        /// Another node holds a lease that has not expired; its id and advertised address.
        case heldElsewhere(node: String, address: String?)
    }

    /// Leases of `duration` for node `nodeID` in `database`; `elapsed` is this node's monotonic
    /// clock (injected by tests).
    package init(
        nodeID: String, duration: Duration, database: ClusterDatabase, logger: Logger,
        elapsed: (@Sendable () -> Duration)? = nil
    ) {
        let origin = ContinuousClock.now
        self.elapsed = elapsed ?? { ContinuousClock.now - origin }
        self.nodeID = nodeID
        self.duration = duration
        self.margin = max(duration / 10, .milliseconds(500))
        self.database = database
        self.logger = logger
    }

    /// The token of this node's valid lease on the room, or `nil` when it holds none (never
    /// acquired, released, lost, or too old to be trusted).
    package func token(server: String, room: String) -> Int64? {
        let now = elapsed()
        return held.withLock { held in
            guard let lease = held[RoomKey(server: server, name: room)], now < lease.validUntil else { return nil }
            return lease.token
        }
    }

    /// Leases this node holds (valid or not yet found lost).
    package var count: Int { held.withLock { $0.count } }

    /// Takes the room's lease if it is free, expired or this node's; raises its fencing token.
    /// Concurrent calls for the same room share one attempt.
    package func acquire(server: String, room: String) async throws(StorageError) -> Acquisition {
        let key = RoomKey(server: server, name: room)
        enum Next { case held(Int64), wait(Task<Result<Acquisition, StorageError>, Never>) }
        // Under the in-flight lock: an attempt removes itself only after recording its lease.
        let next = inFlight.withLock { inFlight -> Next in
            if let token = token(server: server, room: room) { return .held(token) }
            if let running = inFlight[key] { return .wait(running) }
            let task = Task { () -> Result<Acquisition, StorageError> in
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: key) } }
                do throws(StorageError) {
                    return .success(try await self.acquireOnce(server: server, room: room))
                } catch {
                    return .failure(error)
                }
            }
            inFlight[key] = task
            return .wait(task)
        }
        switch next {
        case .held(let token): return .acquired(token: token, previous: nodeID)
        case .wait(let task): return try await task.value.get()
        }
    }

    /// One attempt at the room's lease.
    private func acquireOnce(server: String, room: String) async throws(StorageError) -> Acquisition {
        let sent = elapsed()
        let seconds = duration.timeInterval
        let granted = try await database.query("""
            WITH before AS (SELECT node_id FROM party_room_leases WHERE server = \(server) AND room = \(room))
            INSERT INTO party_room_leases AS lease (server, room, node_id, token, expires_at)
            VALUES (\(server), \(room), \(nodeID), 1, now() + make_interval(secs => \(seconds)))
            ON CONFLICT (server, room) DO UPDATE
                SET node_id = EXCLUDED.node_id, token = lease.token + 1, expires_at = EXCLUDED.expires_at
                WHERE lease.expires_at <= now() OR lease.node_id = EXCLUDED.node_id
            RETURNING token, (SELECT node_id FROM before)
            """)
        if let row = granted.first {
            let (token, previous) = try PostgresStorageBackend.decode(row, (Int64, String?).self)
            held.withLock { $0[RoomKey(server: server, name: room)] = Held(token: token, validUntil: sent + duration - margin) }
            logger.debug("room lease acquired", metadata: ["room": "\(server)/\(room)", "token": "\(token)"])
            return .acquired(token: token, previous: previous)
        }
        let holder = try await database.query("""
            SELECT lease.node_id, node.address FROM party_room_leases lease
            LEFT JOIN party_nodes node ON node.id = lease.node_id
            WHERE lease.server = \(server) AND lease.room = \(room)
            """)
        guard let row = holder.first else {
            // Released between the two statements: try again.
            return try await acquireOnce(server: server, room: room)
        }
        let (node, address) = try PostgresStorageBackend.decode(row, (String, String?).self)
        return .heldElsewhere(node: node, address: address)
    }

    /// The node holding an unexpired lease on the room and its address, or `nil` when nobody does.
    package func holder(server: String, room: String) async throws(StorageError) -> (node: String, address: String?)? {
        let rows = try await database.query("""
            SELECT lease.node_id, node.address FROM party_room_leases lease
            LEFT JOIN party_nodes node ON node.id = lease.node_id
            WHERE lease.server = \(server) AND lease.room = \(room) AND lease.expires_at > now()
            """)
        return try rows.first.map { row throws(StorageError) in try PostgresStorageBackend.decode(row, (String, String?).self) }
    }

    /// The rooms whose lease this node holds.
    package var heldRooms: [RoomKey] { held.withLock { Array($0.keys) } }

    /// Forgets and returns the leases this node can no longer trust (not renewed in time): their
    /// rooms must stop here.
    package func dropExpired() -> [RoomKey] {
        let now = elapsed()
        return held.withLock { held in
            let expired = held.filter { $0.value.validUntil <= now }.map(\.key)
            for key in expired { held[key] = nil }
            return expired
        }
    }

    /// Renews every lease this node holds, in one statement; returns the rooms whose lease was
    /// lost (taken over, or expired before the renewal reached the database).
    package func renew() async throws(StorageError) -> [RoomKey] {
        let sent = elapsed()
        let seconds = duration.timeInterval
        let rows = try await database.query("""
            UPDATE party_room_leases SET expires_at = now() + make_interval(secs => \(seconds))
            WHERE node_id = \(nodeID) AND expires_at > now()
            RETURNING server, room, token
            """)
        var renewed: [RoomKey: Int64] = [:]
        for row in rows {
            let (server, room, token) = try PostgresStorageBackend.decode(row, (String, String, Int64).self)
            renewed[RoomKey(server: server, name: room)] = token
        }
        return held.withLock { held in
            var lost: [RoomKey] = []
            for (key, lease) in held {
                if renewed[key] == lease.token {
                    held[key]?.validUntil = sent + duration - margin
                } else {
                    lost.append(key)
                    held[key] = nil
                }
            }
            return lost
        }
    }

    /// Gives the room's lease back (it expires now, keeping its token so the next holder's is higher).
    package func release(server: String, room: String) async {
        let key = RoomKey(server: server, name: room)
        guard let token = held.withLock({ $0.removeValue(forKey: key)?.token }) else { return }
        do {
            try await database.query("""
                UPDATE party_room_leases SET expires_at = now()
                WHERE server = \(server) AND room = \(room) AND node_id = \(nodeID) AND token = \(token)
                """)
        } catch {
            logger.warning("room lease not released; it expires by itself", metadata: ["room": "\(key)", "error": "\(error)"])
        }
    }

    /// Gives back every lease this node holds (graceful shutdown).
    package func releaseAll() async {
        let keys = held.withLock { held in
            defer { held.removeAll() }
            return Array(held.keys)
        }
        guard !keys.isEmpty else { return }
        do {
            try await database.query("UPDATE party_room_leases SET expires_at = now() WHERE node_id = \(nodeID) AND expires_at > now()")
        } catch {
            logger.warning("room leases not released; they expire by themselves", metadata: ["leases": "\(keys.count)", "error": "\(error)"])
        }
    }

    /// Forgets a lease a write found taken over.
    func lost(server: String, room: String, token: Int64) {
        held.withLock { held in
            let key = RoomKey(server: server, name: room)
            if held[key]?.token == token { held[key] = nil }
        }
    }
}
