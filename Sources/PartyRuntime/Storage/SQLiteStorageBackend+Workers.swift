import GRDB

extension SQLiteStorageBackend {
    package func insertWorker(_ worker: WorkerRow) async throws(StorageError) {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO workers (id, name, secret_hash, created_ms, revoked_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [worker.id, worker.name, worker.secretHash, worker.createdMilliseconds, worker.revokedMilliseconds]
            )
        }
    }

    package func revokeWorker(id: String, atMilliseconds: Int64) async throws(StorageError) -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE workers SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", arguments: [atMilliseconds, id])
            return db.changesCount > 0
        }
    }

    package func workers() async throws(StorageError) -> [WorkerRow] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, secret_hash, created_ms, revoked_ms FROM workers ORDER BY created_ms, id").map(Self.worker)
        }
    }

    package func worker(id: String) async throws(StorageError) -> WorkerRow? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, secret_hash, created_ms, revoked_ms FROM workers WHERE id = ?", arguments: [id]).map(Self.worker)
        }
    }

    private static func worker(_ row: Row) -> WorkerRow {
        WorkerRow(id: row[0], name: row[1], secretHash: row[2], createdMilliseconds: row[3], revokedMilliseconds: row[4])
    }
}
