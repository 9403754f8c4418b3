import Foundation
import GRDB
import Logging
import Synchronization

/// One SQLite database holding the key-value storage, snapshots, alarms and control records of
/// every room.
///
/// With a directory, the database is a WAL-mode `DatabasePool` at `directory/fileName`: reads run
/// on reader connections, in parallel with writes. Every write of every room goes through one
/// ``GroupCommitWriter`` and is durable (with the configured ``StorageDurability``) when it
/// returns. Without a directory the database lives in memory, for tests.
package final class StorageEngine: Sendable {
    /// The limits and durability the engine was opened with.
    package let configuration: StorageConfiguration
    /// The database file's path, or `:memory:`.
    package let path: String
    let database: any DatabaseWriter
    let writer: GroupCommitWriter
    let codec: StorageCodec
    let logger: Logger
    private let isDatabaseClosed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database in `directory`, or an in-memory one when `nil`.
    ///
    /// `onCommit` is called after every committed transaction with the number of submissions it
    /// carried and how long it took, for metrics.
    package init(
        directory: String?,
        configuration: StorageConfiguration = .init(),
        logger: Logger,
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)? = nil
    ) throws(StorageError) {
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
        self.configuration = configuration
        self.path = path
        self.database = database
        self.logger = logger
        self.codec = StorageCodec(maxKeyBytes: configuration.maxKeyBytes, maxValueBytes: configuration.maxValueBytes)
        self.writer = GroupCommitWriter(database: database, logger: logger, onCommit: onCommit)
        logger.debug("storage opened", metadata: ["path": "\(path)", "durability": "\(configuration.durability)"])
    }

    /// The storage of one room; its writes hold `gate` until they are durable.
    package func storage(server: String, room: String, gate: OutputGate) -> RoomStorage {
        RoomStorage(engine: self, server: server, room: room, gate: gate)
    }

    /// The room's snapshot, or `nil` if it has none.
    package func loadSnapshot(server: String, room: String) async throws(StorageError) -> Data? {
        let (server, room) = (Data(server.utf8), Data(room.utf8))
        return try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: StorageSchema.selectSnapshot), arguments: [server, room])
        }
    }

    /// Stores the room's snapshot, replacing any previous one.
    nonisolated(nonsending) package func saveSnapshot(server: String, room: String, data: Data) async throws(StorageError) {
        try await submit(server: server, room: room, [.putSnapshot(data)])
    }

    /// Removes the room's snapshot.
    nonisolated(nonsending) package func deleteSnapshot(server: String, room: String) async throws(StorageError) {
        try await submit(server: server, room: room, [.deleteSnapshot])
    }

    /// Every stored alarm, of every room.
    package func loadAlarms() async throws(StorageError) -> [StoredAlarm] {
        try await read { db in
            var alarms: [StoredAlarm] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: StorageSchema.selectAllAlarms))
            while let row = try rows.next() {
                alarms.append(StoredAlarm(
                    server: StorageCodec.string(row[0]),
                    room: StorageCodec.string(row[1]),
                    milliseconds: row[2],
                    retryCount: row[3]
                ))
            }
            return alarms
        }
    }

    /// The room's alarm, or `nil` if it has none.
    package func alarm(server: String, room: String) async throws(StorageError) -> StoredAlarm? {
        let (serverBytes, roomBytes) = (Data(server.utf8), Data(room.utf8))
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: StorageSchema.selectAlarm), arguments: [serverBytes, roomBytes])
                .map { StoredAlarm(server: server, room: room, milliseconds: $0[0], retryCount: $0[1]) }
        }
    }

    /// Stores the room's alarm, replacing any previous one.
    nonisolated(nonsending) package func saveAlarm(_ alarm: StoredAlarm) async throws(StorageError) {
        try await submit(
            server: alarm.server,
            room: alarm.room,
            [.putAlarm(atMilliseconds: alarm.atMilliseconds, retryCount: alarm.retryCount)]
        )
    }

    /// Removes the room's alarm.
    nonisolated(nonsending) package func deleteAlarm(server: String, room: String) async throws(StorageError) {
        try await submit(server: server, room: room, [.deleteAlarm])
    }

    /// Every stored control record (`StoredRoomRecord`, encoded), of every room.
    package func loadControlRecords() async throws(StorageError) -> [(server: String, room: String, record: Data)] {
        try await read { db in
            var records: [(server: String, room: String, record: Data)] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: StorageSchema.selectAllControlRecords))
            while let row = try rows.next() {
                records.append((StorageCodec.string(row[0]), StorageCodec.string(row[1]), row[2]))
            }
            return records
        }
    }

    /// Holds commits until `resumeCommits()`: writes stay pending, so the output gate stays
    /// closed (for tests).
    package func holdCommits() {
        writer.holdCommits()
    }

    /// Lets held commits run.
    package func resumeCommits() {
        writer.resumeCommits()
    }

    /// Waits for running and accepted writes, then closes the database; later calls throw `.closed`.
    package func close() async {
        await writer.close()
        guard !isDatabaseClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do {
            try database.close()
            logger.debug("storage closed", metadata: ["path": "\(path)"])
        } catch {
            logger.warning("storage did not close cleanly", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    // MARK: - For RoomStorage

    /// Commits `submission` with the next group commit; returns how many deleted keys existed.
    @discardableResult
    nonisolated(nonsending) package func submit(_ submission: StorageSubmission) async throws(StorageError) -> Int {
        try await writer.submit(submission).get()
    }

    @discardableResult
    nonisolated(nonsending) private func submit(server: String, room: String, _ operations: [StorageOperation]) async throws(StorageError) -> Int {
        try await submit(StorageSubmission(server: Data(server.utf8), room: Data(room.utf8), operations: operations))
    }

    /// Runs `body` in its own write transaction, outside the group commit (rare administrative
    /// writes such as worker accounts).
    package func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StorageError) -> T {
        guard !writer.isClosed else { throw .closed }
        do {
            return try await database.write(body)
        } catch {
            throw writer.isClosed ? .closed : StorageError(database: error)
        }
    }

    /// Runs `body` on a reader connection.
    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StorageError) -> T {
        guard !writer.isClosed else { throw .closed }
        do {
            return try await database.read(body)
        } catch {
            throw writer.isClosed ? .closed : StorageError(database: error)
        }
    }
}

extension StoredAlarm {
    /// An alarm as read from its row.
    init(server: String, room: String, milliseconds: Int64, retryCount: Int) {
        self.init(server: server, room: room, at: Date(timeIntervalSince1970: Double(milliseconds) / 1000), retryCount: retryCount)
    }
}
