import Foundation

/// The database under a ``StorageEngine``: where rooms' values, snapshots, alarms, control
/// records and worker accounts are kept.
///
/// The embedded default is ``SQLiteStorageBackend``; several nodes share a PostgreSQL one
/// (`PartyCluster`). Names and keys are passed as their UTF-8 bytes. Every method may be called
/// concurrently; `commit` is called by one group-commit task at a time.
package protocol StorageBackend: Sendable {
    /// Where the data lives, for logs and errors (a file path, or a database without its password).
    var location: String { get }

    /// Commits `submissions` in one transaction, each atomically on its own: one outcome per
    /// submission, in order (the number of deleted keys that existed, or why it failed). A failed
    /// submission stores nothing; the others still commit unless the database itself failed.
    func commit(_ submissions: [StorageSubmission]) async -> [Result<Int, StorageError>]

    /// The value stored under `key` in the room.
    func value(server: Data, room: Data, key: Data) async throws(StorageError) -> StoredValue?
    /// The values stored under `keys` in the room (keys without a value are absent).
    func values(server: Data, room: Data, keys: [Data]) async throws(StorageError) -> [StoredEntry]
    /// The room's entries in `range`, in key byte order (descending when `reverse`), at most
    /// `limit` of them (`nil`: all).
    func entries(server: Data, room: Data, range: StorageKeyRange, reverse: Bool, limit: Int?) async throws(StorageError) -> [StoredEntry]

    /// The room's snapshot, or `nil`.
    func snapshot(server: Data, room: Data) async throws(StorageError) -> Data?
    /// Every stored alarm.
    func alarms() async throws(StorageError) -> [StoredAlarm]
    /// The room's alarm, or `nil`.
    func alarm(server: String, room: String) async throws(StorageError) -> StoredAlarm?
    /// Every stored control record.
    func controlRecords() async throws(StorageError) -> [(server: String, room: String, record: Data)]

    /// Adds a worker account.
    func insertWorker(_ worker: WorkerRow) async throws(StorageError)
    /// Marks account `id` revoked; returns whether it existed and was not revoked yet.
    func revokeWorker(id: String, atMilliseconds: Int64) async throws(StorageError) -> Bool
    /// Every worker account, oldest first.
    func workers() async throws(StorageError) -> [WorkerRow]
    /// The worker account `id`, or `nil`.
    func worker(id: String) async throws(StorageError) -> WorkerRow?

    /// Closes the database; later calls throw ``StorageError/closed``.
    func close() async
}

/// A worker account as stored: only a hash of its secret.
package struct WorkerRow: Sendable, Equatable {
    /// The account id (`wk_…`).
    package var id: String
    /// Its display name.
    package var name: String
    /// SHA-256 of the secret.
    package var secretHash: Data
    /// Creation time, milliseconds since 1970.
    package var createdMilliseconds: Int64
    /// Revocation time, milliseconds since 1970, or `nil` while the account is valid.
    package var revokedMilliseconds: Int64?

    /// A row with every field given.
    package init(id: String, name: String, secretHash: Data, createdMilliseconds: Int64, revokedMilliseconds: Int64?) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.createdMilliseconds = createdMilliseconds
        self.revokedMilliseconds = revokedMilliseconds
    }
}
