import Foundation
import Logging
import PartyRuntime
import PostgresNIO

extension PostgresStorageBackend {
    /// Commits `submissions` in one transaction, each in its own savepoint: a submission that
    /// fails (its data, or a lost lease) is rolled back alone and the others commit. A failure
    /// of the connection or of the commit fails every submission not failed already.
    package func commit(_ submissions: [StorageSubmission]) async -> [Result<Int, StorageError>] {
        var outcomes = [Result<Int, StorageError>](repeating: .failure(.closed), count: submissions.count)
        guard !closed else { return outcomes }
        let logger = database.logger
        let leases = self.leases
        let initial = outcomes
        do {
            outcomes = try await database.withConnection { connection in
                var outcomes = initial
                try await connection.query("BEGIN", logger: logger)
                do {
                    var owners = RoundOwners()
                    for (index, submission) in submissions.enumerated() {
                        if let failure = owners.failure(before: submission) {
                            outcomes[index] = .failure(failure)
                            continue
                        }
                        try await connection.query("SAVEPOINT submission", logger: logger)
                        do {
                            if let leases { try await Self.checkLease(submission, leases, on: connection, logger: logger) }
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
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                return outcomes
            }
        } catch {
            logger.error("storage transaction failed", metadata: ["submissions": "\(submissions.count)", "error": "\(error)"])
            return [Result<Int, StorageError>](repeating: .failure(StorageError(postgres: error)), count: submissions.count)
        }
        return outcomes
    }

    /// Throws ``StorageError/fenced(_:)`` unless this node holds the room's lease with the token
    /// it acquired; locks the lease row (`FOR SHARE`) until the transaction ends.
    private static func checkLease(_ submission: StorageSubmission, _ leases: RoomLeases, on connection: PostgresConnection, logger: Logger) async throws {
        guard submission.operations.contains(where: \.changesRoomState) else { return }
        let (server, room) = names(submission.server, submission.room)
        guard let token = leases.token(server: server, room: room) else {
            throw StorageError.fenced("this node does not hold the lease of \(server)/\(room)")
        }
        let rows = try await connection.query("""
            SELECT 1 FROM party_room_leases
            WHERE server = \(server) AND room = \(room) AND node_id = \(leases.nodeID) AND token = \(token)
            FOR SHARE
            """, logger: logger)
        var held = false
        for try await _ in rows { held = true }
        guard held else {
            leases.lost(server: server, room: room, token: token)
            throw StorageError.fenced("another node took over \(server)/\(room) (fencing token \(token) is stale)")
        }
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
            case .putControlRecord(let record):
                try await connection.query("""
                    INSERT INTO party_control_rooms (server, room, record) VALUES (\(server), \(room), \(bytes(record)))
                    ON CONFLICT (server, room) DO UPDATE SET record = EXCLUDED.record
                    """, logger: logger)
            case .deleteControlRecord:
                try await connection.query("DELETE FROM party_control_rooms WHERE server = \(server) AND room = \(room)", logger: logger)
            }
        }
        return deleted
    }
}

extension StorageOperation {
    /// Whether the operation writes the room's own state (values, snapshot, alarm), which only
    /// the lease holder may do.
    var changesRoomState: Bool {
        switch self {
        case .putControlRecord, .deleteControlRecord: false
        default: true
        }
    }
}
