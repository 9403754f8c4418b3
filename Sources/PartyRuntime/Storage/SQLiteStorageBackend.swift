import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded storage backend: one SQLite database for every room.
///
/// With a directory, a WAL-mode `DatabasePool` at `directory/fileName`: reads run on reader
/// connections, in parallel with writes. Without one, an in-memory database, for tests.
package final class SQLiteStorageBackend: StorageBackend {
    /// The database file's path, or `:memory:`.
    package let location: String
    /// The GRDB database (for tests that inspect it).
    package let database: any DatabaseWriter
    let logger: Logger
    private let isClosed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database in `directory`, or an in-memory one when `nil`.
    package init(directory: String?, configuration: StorageConfiguration, logger: Logger) throws(StorageError) {
        let path = directory.map { URL(fileURLWithPath: $0).appendingPathComponent(configuration.fileName).path } ?? ":memory:"
        let synchronous = "PRAGMA synchronous = \(configuration.durability.synchronousPragma)"
        var grdb = Configuration()
        grdb.label = "PartyServer.storage"
        grdb.busyMode = .timeout(5)
        grdb.prepareDatabase { [maxBytes = configuration.maxDatabaseBytes] db in
            guard !db.configuration.readonly else { return }
            try db.execute(sql: synchronous)
            if let maxBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maxBytes / pageSize))")
            }
        }
        let database: any DatabaseWriter
        do {
            if let directory {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let pool = try DatabasePool(path: path, configuration: grdb)
                // Enabling WAL mode sets the writer to synchronous=NORMAL after prepareDatabase ran.
                try pool.writeWithoutTransaction { try $0.execute(sql: synchronous) }
                database = pool
            } else {
                database = try DatabaseQueue(configuration: grdb)
            }
            try StorageSchema.migrator().migrate(database)
        } catch {
            throw .openFailed(path: path, description: "\(error)")
        }
        self.location = path
        self.database = database
        self.logger = logger
    }

    // MARK: Reading

    package func value(server: Data, room: Data, key: Data) async throws(StorageError) -> StoredValue? {
        try await read { db in try Self.value(db, server: server, room: room, key: key) }
    }

    package func values(server: Data, room: Data, keys: [Data]) async throws(StorageError) -> [StoredEntry] {
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

    package func entries(server: Data, room: Data, range: StorageKeyRange, reverse: Bool, limit: Int?) async throws(StorageError) -> [StoredEntry] {
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

    package func snapshot(server: Data, room: Data) async throws(StorageError) -> Data? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: StorageSchema.selectSnapshot), arguments: [server, room])
        }
    }

    package func alarms() async throws(StorageError) -> [StoredAlarm] {
        try await read { db in
            var alarms: [StoredAlarm] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: StorageSchema.selectAllAlarms))
            while let row = try rows.next() {
                alarms.append(StoredAlarm(
                    server: StorageCodec.string(row[0]), room: StorageCodec.string(row[1]), milliseconds: row[2], retryCount: row[3]
                ))
            }
            return alarms
        }
    }

    package func alarm(server: String, room: String) async throws(StorageError) -> StoredAlarm? {
        let (serverBytes, roomBytes) = (Data(server.utf8), Data(room.utf8))
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: StorageSchema.selectAlarm), arguments: [serverBytes, roomBytes])
                .map { StoredAlarm(server: server, room: room, milliseconds: $0[0], retryCount: $0[1]) }
        }
    }

    package func controlRecords() async throws(StorageError) -> [(server: String, room: String, record: Data)] {
        try await read { db in
            var records: [(server: String, room: String, record: Data)] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: StorageSchema.selectAllControlRecords))
            while let row = try rows.next() {
                records.append((StorageCodec.string(row[0]), StorageCodec.string(row[1]), row[2]))
            }
            return records
        }
    }

    package func close() async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do {
            try database.close()
            logger.debug("storage closed", metadata: ["path": "\(location)"])
        } catch {
            logger.warning("storage did not close cleanly", metadata: ["path": "\(location)", "error": "\(error)"])
        }
    }

    // MARK: Helpers

    /// Runs `body` in its own write transaction, outside the group commit.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StorageError) -> T {
        guard !isClosed.load(ordering: .acquiring) else { throw .closed }
        do {
            return try await database.write(body)
        } catch {
            throw isClosed.load(ordering: .acquiring) ? .closed : StorageError(database: error)
        }
    }

    /// Runs `body` on a reader connection.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StorageError) -> T {
        guard !isClosed.load(ordering: .acquiring) else { throw .closed }
        do {
            return try await database.read(body)
        } catch {
            throw isClosed.load(ordering: .acquiring) ? .closed : StorageError(database: error)
        }
    }

    private static func value(_ db: Database, server: Data, room: Data, key: Data) throws -> StoredValue? {
        try Row.fetchOne(db.cachedStatement(sql: StorageSchema.selectValue), arguments: [server, room, key])
            .map { StoredValue(data: $0[0], encoding: $0[1]) }
    }
}

extension StoredAlarm {
    /// An alarm as read from its row.
    package init(server: String, room: String, milliseconds: Int64, retryCount: Int) {
        self.init(server: server, room: room, at: Date(timeIntervalSince1970: Double(milliseconds) / 1000), retryCount: retryCount)
    }
}
