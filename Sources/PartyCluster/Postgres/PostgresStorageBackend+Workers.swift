import Foundation
import NIOCore
import PartyRuntime
import PostgresNIO

extension PostgresStorageBackend {
    package func insertWorker(_ worker: WorkerRow) async throws(StorageError) {
        try await read("""
            INSERT INTO party_workers (id, name, secret_hash, created_ms, revoked_ms)
            VALUES (\(worker.id), \(worker.name), \(Self.bytes(worker.secretHash)), \(worker.createdMilliseconds), \(worker.revokedMilliseconds))
            """)
    }

    package func revokeWorker(id: String, atMilliseconds: Int64) async throws(StorageError) -> Bool {
        let rows = try await read("UPDATE party_workers SET revoked_ms = \(atMilliseconds) WHERE id = \(id) AND revoked_ms IS NULL RETURNING 1")
        return !rows.isEmpty
    }

    package func workers() async throws(StorageError) -> [WorkerRow] {
        try await read("SELECT id, name, secret_hash, created_ms, revoked_ms FROM party_workers ORDER BY created_ms, id").map(Self.worker)
    }

    package func worker(id: String) async throws(StorageError) -> WorkerRow? {
        try await read("SELECT id, name, secret_hash, created_ms, revoked_ms FROM party_workers WHERE id = \(id)").first.map(Self.worker)
    }

    private static func worker(_ row: PostgresRow) throws(StorageError) -> WorkerRow {
        let (id, name, hash, created, revoked) = try decode(row, (String, String, ByteBuffer, Int64, Int64?).self)
        return WorkerRow(id: id, name: name, secretHash: data(hash), createdMilliseconds: created, revokedMilliseconds: revoked)
    }
}
