import Foundation
import Logging
import PartyRuntime
import PostgresNIO

extension PostgresStorageBackend {
    /// Commits `submissions` in one transaction, each in its own savepoint: a submission that
    /// fails on its data is rolled back alone and the others commit. With leases, the rooms the
    /// round writes are checked in one statement just before `COMMIT` (their lease rows locked
    /// `FOR SHARE` only from there to the commit, so renewals are not held up); a room whose
    /// lease this node lost fails with ``StorageError/fenced(_:)`` and the round is run again
    /// without it. A failure of the connection or of the commit fails every submission not
    /// failed already.
    package func commit(_ submissions: [StorageSubmission]) async -> [Result<Int, StorageError>] {
        var outcomes = [Result<Int, StorageError>](repeating: .failure(.closed), count: submissions.count)
        guard !closed else { return outcomes }
        var remaining = Array(submissions.indices)
        while !remaining.isEmpty {
            let round = remaining.map { submissions[$0] }
            let result: Round
            do {
                result = try await commitRound(round)
            } catch {
                database.logger.error("storage transaction failed", metadata: ["submissions": "\(round.count)", "error": "\(error)"])
                for index in remaining { outcomes[index] = .failure(StorageError(postgres: error)) }
                return outcomes
            }
            switch result {
            case .committed(let results):
                for (index, outcome) in zip(remaining, results) { outcomes[index] = outcome }
                return outcomes
            case .fenced(let rooms):
                // Rolled back: the rooms this node lost fail, the others are committed again.
                remaining.removeAll { index in
                    let key = RoomKey(server: StorageCodec.string(submissions[index].server), name: StorageCodec.string(submissions[index].room))
                    guard let reason = rooms[key] else { return false }
                    outcomes[index] = .failure(.fenced(reason))
                    return true
                }
            }
        }
        return outcomes
    }

    /// What one attempt at a round did.
    private enum Round: Sendable {
        /// Committed, with one outcome per submission.
        case committed([Result<Int, StorageError>])
        /// Rolled back because this node no longer holds these rooms' leases (with why).
        case fenced([RoomKey: String])
    }

    /// Runs `round` in one transaction; rolls it back when a room's lease is no longer this node's.
    private func commitRound(_ round: [StorageSubmission]) async throws(StorageError) -> Round {
        let logger = database.logger
        let leases = self.leases
        return try await database.withConnection { connection in
            var outcomes = [Result<Int, StorageError>](repeating: .failure(.closed), count: round.count)
            try await connection.query("BEGIN", logger: logger)
            do {
                var owners = RoundOwners()
                for (index, submission) in round.enumerated() {
                    if let failure = owners.failure(before: submission) {
                        outcomes[index] = .failure(failure)
                        continue
                    }
                    try await connection.query("SAVEPOINT submission", logger: logger)
                    do {
                        let deleted = try await Self.apply(submission, on: connection, logger: logger)
                        try await connection.query("RELEASE SAVEPOINT submission", logger: logger)
                        outcomes[index] = .success(deleted)
                    } catch {
                        try await connection.query("ROLLBACK TO SAVEPOINT submission", logger: logger)
                        let failure = StorageError(postgres: error)
                        owners.record(failure, of: submission)
                        outcomes[index] = .failure(failure)
                        logger.log(level: submission.owner == nil ? .warning : .debug, "storage write failed", metadata: [
                            "server": "\(StorageCodec.string(submission.server))",
                            "room": "\(StorageCodec.string(submission.room).prefix(200))",
                            "error": "\(failure)",
                        ])
                    }
                }
                if let leases {
                    let written = Self.fencedRooms(round, outcomes)
                    let lost = try await Self.lostLeases(of: written, leases, on: connection, logger: logger)
                    guard lost.isEmpty else {
                        try await connection.query("ROLLBACK", logger: logger)
                        return .fenced(lost)
                    }
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            return .committed(outcomes)
        }
    }

    /// The rooms whose state the round's successful submissions write (values, snapshot, alarm).
    private static func fencedRooms(_ round: [StorageSubmission], _ outcomes: [Result<Int, StorageError>]) -> Set<RoomKey> {
        var rooms = Set<RoomKey>()
        for (submission, outcome) in zip(round, outcomes) {
            guard case .success = outcome, submission.operations.contains(where: \.changesRoomState) else { continue }
            rooms.insert(RoomKey(server: StorageCodec.string(submission.server), name: StorageCodec.string(submission.room)))
        }
        return rooms
    }

    /// The rooms of `rooms` whose lease this node no longer holds with the token it acquired, with
    /// why; locks the others' lease rows (`FOR SHARE`) until the transaction ends, so a takeover
    /// waits for this commit and the next owner reads what it wrote.
    private static func lostLeases(
        of rooms: Set<RoomKey>, _ leases: RoomLeases, on connection: PostgresConnection, logger: Logger
    ) async throws -> [RoomKey: String] {
        var lost: [RoomKey: String] = [:]
        var held: [(key: RoomKey, token: Int64)] = []
        for key in rooms {
            if let token = leases.token(server: key.server, room: key.name) {
                held.append((key, token))
            } else {
                lost[key] = "this node does not hold the lease of \(key)"
            }
        }
        guard !held.isEmpty else { return lost }
        var bindings = PostgresBindings(capacity: held.count * 3 + 1)
        bindings.append(leases.nodeID)
        var rows: [String] = []
        for (key, token) in held {
            bindings.append(key.server)
            bindings.append(key.name)
            bindings.append(token)
            let first = bindings.count - 2
            rows.append("($\(first), $\(first + 1), $\(first + 2))")
        }
        let confirmed = try await connection.query(PostgresQuery(
            unsafeSQL: """
                SELECT server, room FROM party_room_leases
                WHERE node_id = $1 AND (server, room, token) IN (\(rows.joined(separator: ", ")))
                FOR SHARE
                """,
            binds: bindings
        ), logger: logger)
        var still = Set<RoomKey>()
        for try await (server, room) in confirmed.decode((String, String).self) {
            still.insert(RoomKey(server: server, name: room))
        }
        for (key, token) in held where !still.contains(key) {
            leases.lost(server: key.server, room: key.name, token: token)
            lost[key] = "another node took over \(key) (fencing token \(token) is stale)"
        }
        return lost
    }

    /// Runs the submission's operations in order; returns how many deleted keys existed.
    private static func apply(_ submission: StorageSubmission, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let (server, room) = names(submission.server, submission.room)
        var deleted = 0
        for operation in submission.operations {
            switch operation {
            case .put(let key, let value, let encoding):
                try await connection.query("""
                    INSERT INTO party_kv (server, room, key, value, encoding)
                    VALUES (\(server), \(room), \(bytes(key)), \(bytes(value)), \(Int16(encoding.rawValue)))
                    ON CONFLICT (server, room, key) DO UPDATE SET value = EXCLUDED.value, encoding = EXCLUDED.encoding
                    """, logger: logger)
            case .delete(let key):
                let rows = try await connection.query(
                    "DELETE FROM party_kv WHERE server = \(server) AND room = \(room) AND key = \(bytes(key)) RETURNING 1",
                    logger: logger
                )
                for try await _ in rows { deleted += 1 }
            case .deleteAll:
                try await connection.query("DELETE FROM party_kv WHERE server = \(server) AND room = \(room)", logger: logger)
            case .putSnapshot(let data):
                try await connection.query("""
                    INSERT INTO party_snapshots (server, room, data) VALUES (\(server), \(room), \(bytes(data)))
                    ON CONFLICT (server, room) DO UPDATE SET data = EXCLUDED.data
                    """, logger: logger)
            case .deleteSnapshot:
                try await connection.query("DELETE FROM party_snapshots WHERE server = \(server) AND room = \(room)", logger: logger)
            case .putAlarm(let at, let retryCount):
                try await connection.query("""
                    INSERT INTO party_alarms (server, room, at_ms, retry_count) VALUES (\(server), \(room), \(at), \(Int32(retryCount)))
                    ON CONFLICT (server, room) DO UPDATE SET at_ms = EXCLUDED.at_ms, retry_count = EXCLUDED.retry_count
                    """, logger: logger)
            case .deleteAlarm:
                try await connection.query("DELETE FROM party_alarms WHERE server = \(server) AND room = \(room)", logger: logger)
            case .putControlRecord(let record, let activation, let heldKey):
                do {
                    try await connection.query("""
                        INSERT INTO party_control_rooms (server, room, record, activation, held_key)
                        VALUES (\(server), \(room), \(bytes(record)), \(Int64(bitPattern: activation)), \(heldKey))
                        ON CONFLICT (server, room) DO UPDATE
                        SET record = EXCLUDED.record, activation = EXCLUDED.activation, held_key = EXCLUDED.held_key
                        """, logger: logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    // The unique index on (server, held_key): another room holds the key.
                    throw StorageError.keyTaken(heldKey ?? "")
                }
            case .deleteControlRecord(let activation?):
                try await connection.query("""
                    DELETE FROM party_control_rooms
                    WHERE server = \(server) AND room = \(room) AND activation = \(Int64(bitPattern: activation))
                    """, logger: logger)
            case .deleteControlRecord(nil):
                try await connection.query("DELETE FROM party_control_rooms WHERE server = \(server) AND room = \(room)", logger: logger)
            }
        }
        return deleted
    }
}

extension StorageOperation {
    /// Whether the operation writes the room's own state (values, snapshot, alarm, control
    /// record), which only the lease holder may do. Deleting a control record is not: a node
    /// forgets the records of rooms it ran long ago, and deletes one only while it records the
    /// activation that node retired.
    var changesRoomState: Bool {
        switch self {
        case .deleteControlRecord: false
        default: true
        }
    }
}
