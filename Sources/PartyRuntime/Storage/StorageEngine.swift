import Foundation
import Logging

/// The storage of every room — key-value storage, snapshots, alarms and control records — over
/// one ``StorageBackend``: the embedded SQLite database by default, PostgreSQL for several nodes.
///
/// Every write of every room goes through one ``GroupCommitWriter`` and is durable (with the
/// configured ``StorageDurability``) when it returns.
package final class StorageEngine: Sendable {
    /// The limits and durability the engine was opened with.
    package let configuration: StorageConfiguration
    /// Where the data lives: the SQLite file's path (`:memory:` in memory), or the database.
    package var path: String { backend.location }
    /// The database.
    package let backend: any StorageBackend
    let writer: GroupCommitWriter
    let codec: StorageCodec
    let logger: Logger

    /// Opens (creating if needed) the SQLite database in `directory`, or an in-memory one when `nil`.
    ///
    /// `onCommit` is called after every committed transaction with the number of submissions it
    /// carried and how long it took, for metrics.
    package convenience init(
        directory: String?,
        configuration: StorageConfiguration = .init(),
        logger: Logger,
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)? = nil
    ) throws(StorageError) {
        let backend = try SQLiteStorageBackend(directory: directory, configuration: configuration, logger: logger)
        self.init(backend: backend, configuration: configuration, logger: logger, onCommit: onCommit)
        logger.debug("storage opened", metadata: ["path": "\(backend.location)", "durability": "\(configuration.durability)"])
    }

    /// An engine over `backend` (already opened and migrated).
    package init(
        backend: any StorageBackend,
        configuration: StorageConfiguration = .init(),
        logger: Logger,
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        self.codec = StorageCodec(maxKeyBytes: configuration.maxKeyBytes, maxValueBytes: configuration.maxValueBytes)
        self.writer = GroupCommitWriter(backend: backend, onCommit: onCommit)
    }

    /// The SQLite backend, when the engine uses it.
    package var sqlite: SQLiteStorageBackend? { backend as? SQLiteStorageBackend }

    /// The storage of one room; its writes hold `gate` until they are durable.
    package func storage(server: String, room: String, gate: OutputGate) -> RoomStorage {
        RoomStorage(engine: self, server: server, room: room, gate: gate)
    }

    /// The room's snapshot, or `nil` if it has none.
    package func loadSnapshot(server: String, room: String) async throws(StorageError) -> Data? {
        try checkOpen()
        return try await backend.snapshot(server: Data(server.utf8), room: Data(room.utf8))
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
        try checkOpen()
        return try await backend.alarms()
    }

    /// The room's alarm, or `nil` if it has none.
    package func alarm(server: String, room: String) async throws(StorageError) -> StoredAlarm? {
        try checkOpen()
        return try await backend.alarm(server: server, room: room)
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
        try checkOpen()
        return try await backend.controlRecords()
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
        await backend.close()
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

    /// Throws `.closed` once `close()` was called.
    package func checkOpen() throws(StorageError) {
        guard !writer.isClosed else { throw .closed }
    }
}
