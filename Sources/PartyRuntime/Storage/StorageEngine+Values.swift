import Foundation
import GRDB

/// A stored value's bytes and how to read them (a ``StoredEncoding`` raw value).
struct StoredValue: Sendable {
    let data: Data
    let encoding: Int
}

/// A stored key (its UTF-8 bytes) and its value.
struct StoredEntry: Sendable {
    let key: Data
    let value: StoredValue
}

extension StorageEngine {
    /// The value stored under `key` in the room, read on a reader connection.
    func value(server: Data, room: Data, key: Data) async throws(StorageError) -> StoredValue? {
        try await read { db in
            try Self.value(db, server: server, room: room, key: key)
        }
    }

    /// The values stored under `keys` in the room (missing keys absent), read in one access.
    func values(server: Data, room: Data, keys: [Data]) async throws(StorageError) -> [StoredEntry] {
        try await read { db in
            var entries: [StoredEntry] = []
            entries.reserveCapacity(keys.count)
            for key in keys {
                if let value = try Self.value(db, server: server, room: room, key: key) {
                    entries.append(StoredEntry(key: key, value: value))
                }
            }
            return entries
        }
    }

    /// The room's entries in `range`, in key byte order (descending when `reverse`), at most
    /// `limit` of them (`nil`: all).
    func entries(
        server: Data,
        room: Data,
        range: StorageKeyRange,
        reverse: Bool,
        limit: Int?
    ) async throws(StorageError) -> [StoredEntry] {
        if range.isEmpty || limit.map({ $0 <= 0 }) == true { return [] }
        let (conditions, bounds) = range.sql
        let sql = """
            SELECT key, value, encoding FROM kv WHERE \(StorageSchema.ofRoom)\(conditions) \
            ORDER BY key \(reverse ? "DESC" : "ASC") LIMIT ?
            """
        var values: [any DatabaseValueConvertible] = [server, room]
        values.append(contentsOf: bounds as [any DatabaseValueConvertible])
        values.append(limit ?? -1)
        let arguments = StatementArguments(values)
        return try await read { db in
            var entries: [StoredEntry] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
            while let row = try rows.next() {
                entries.append(StoredEntry(key: row[0], value: StoredValue(data: row[1], encoding: row[2])))
            }
            return entries
        }
    }

    private static func value(_ db: Database, server: Data, room: Data, key: Data) throws -> StoredValue? {
        try Row.fetchOne(db.cachedStatement(sql: StorageSchema.selectValue), arguments: [server, room, key])
            .map { StoredValue(data: $0[0], encoding: $0[1]) }
    }
}
