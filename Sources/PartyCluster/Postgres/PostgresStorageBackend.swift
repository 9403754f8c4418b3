import Foundation
import Logging
import NIOCore
import PartyRuntime
import PostgresNIO
import Synchronization

/// Room storage, snapshots, alarms, control records and worker accounts in PostgreSQL, for
/// several nodes sharing one database.
///
/// With a ``RoomLeases`` book (a node of a cluster), every write of a room's state — values,
/// snapshot, alarm — runs in the same transaction as a check that this node still holds the
/// room's lease with the fencing token it acquired (`FOR SHARE`, so a takeover waits for the
/// commit and the next write sees it). A node that lost the lease writes nothing: the submission
/// fails with ``StorageError/fenced(_:)``. Control records are not fenced: the control API of
/// any node writes them.
package final class PostgresStorageBackend: StorageBackend {
    /// The database.
    package let database: ClusterDatabase
    /// The leases writes are fenced with, or `nil` for a single node without leases.
    let leases: RoomLeases?
    private let isClosed = Atomic<Bool>(false)

    /// A backend over `database` (open and migrated); writes of rooms are fenced with `leases` when given.
    package init(database: ClusterDatabase, leases: RoomLeases? = nil) {
        self.database = database
        self.leases = leases
    }

    package var location: String { database.url.description }

    // MARK: Reading

    package func value(server: Data, room: Data, key: Data) async throws(StorageError) -> StoredValue? {
        let (server, room) = Self.names(server, room)
        let rows = try await read("SELECT value, encoding FROM party_kv WHERE server = \(server) AND room = \(room) AND key = \(Self.bytes(key))")
        return try rows.first.map(Self.storedValue)
    }

    package func values(server: Data, room: Data, keys: [Data]) async throws(StorageError) -> [StoredEntry] {
        guard !keys.isEmpty else { return [] }
        let (server, room) = Self.names(server, room)
        var bindings = PostgresBindings(capacity: keys.count + 2)
        bindings.append(server)
        bindings.append(room)
        for key in keys { bindings.append(Self.bytes(key)) }
        let list = (0..<keys.count).map { "$\($0 + 3)" }.joined(separator: ", ")
        let rows = try await read(PostgresQuery(
            unsafeSQL: "SELECT key, value, encoding FROM party_kv WHERE server = $1 AND room = $2 AND key IN (\(list))",
            binds: bindings
        ))
        return try rows.map(Self.storedEntry)
    }

    package func entries(server: Data, room: Data, range: StorageKeyRange, reverse: Bool, limit: Int?) async throws(StorageError) -> [StoredEntry] {
        let (server, room) = Self.names(server, room)
        var bindings = PostgresBindings()
        bindings.append(server)
        bindings.append(room)
        var sql = "SELECT key, value, encoding FROM party_kv WHERE server = $1 AND room = $2"
        if let lower = range.lower {
            bindings.append(Self.bytes(lower))
            sql += range.lowerIsInclusive ? " AND key >= $\(bindings.count)" : " AND key > $\(bindings.count)"
        }
        if let upper = range.upper {
            bindings.append(Self.bytes(upper))
            sql += " AND key < $\(bindings.count)"
        }
        sql += " ORDER BY key \(reverse ? "DESC" : "ASC")"
        if let limit {
            bindings.append(limit)
            sql += " LIMIT $\(bindings.count)"
        }
        return try await read(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.storedEntry)
    }

    package func snapshot(server: Data, room: Data) async throws(StorageError) -> Data? {
        let (server, room) = Self.names(server, room)
        let rows = try await read("SELECT data FROM party_snapshots WHERE server = \(server) AND room = \(room)")
        return try rows.first.map { row throws(StorageError) in try Self.decode(row, ByteBuffer.self) }.map(Self.data)
    }

    package func alarms() async throws(StorageError) -> [StoredAlarm] {
        try await read("SELECT server, room, at_ms, retry_count FROM party_alarms").map { row throws(StorageError) in
            let (server, room, at, retries) = try Self.decode(row, (String, String, Int64, Int32).self)
            return StoredAlarm(server: server, room: room, milliseconds: at, retryCount: Int(retries))
        }
    }

    /// The stored alarms due before `milliseconds` (since 1970), of every room.
    package func alarms(dueBefore milliseconds: Int64) async throws(StorageError) -> [StoredAlarm] {
        try await read("SELECT server, room, at_ms, retry_count FROM party_alarms WHERE at_ms < \(milliseconds)").map { row throws(StorageError) in
            let (server, room, at, retries) = try Self.decode(row, (String, String, Int64, Int32).self)
            return StoredAlarm(server: server, room: room, milliseconds: at, retryCount: Int(retries))
        }
    }

    package func alarm(server: String, room: String) async throws(StorageError) -> StoredAlarm? {
        let rows = try await read("SELECT at_ms, retry_count FROM party_alarms WHERE server = \(server) AND room = \(room)")
        return try rows.first.map { row throws(StorageError) in
            let (at, retries) = try Self.decode(row, (Int64, Int32).self)
            return StoredAlarm(server: server, room: room, milliseconds: at, retryCount: Int(retries))
        }
    }

    package func controlRecords() async throws(StorageError) -> [(server: String, room: String, record: Data)] {
        try await read("SELECT server, room, record FROM party_control_rooms").map { row throws(StorageError) in
            let (server, room, record) = try Self.decode(row, (String, String, ByteBuffer).self)
            return (server, room, Self.data(record))
        }
    }

    package func close() async {
        isClosed.store(true, ordering: .releasing)
    }

    // MARK: Helpers

    /// Runs a statement outside the group commit; `.closed` once closed.
    @discardableResult
    func read(_ query: PostgresQuery) async throws(StorageError) -> [PostgresRow] {
        guard !isClosed.load(ordering: .acquiring) else { throw .closed }
        return try await database.query(query)
    }

    var closed: Bool { isClosed.load(ordering: .acquiring) }

    static func names(_ server: Data, _ room: Data) -> (String, String) {
        (StorageCodec.string(server), StorageCodec.string(room))
    }

    static func bytes(_ data: Data) -> ByteBuffer {
        ByteBuffer(bytes: data)
    }

    static func data(_ buffer: ByteBuffer) -> Data {
        Data(buffer.readableBytesView)
    }

    static func decode<each Column: PostgresDecodable>(_ row: PostgresRow, _ types: (repeat each Column).Type) throws(StorageError) -> (repeat each Column) {
        do {
            return try row.decode(types)
        } catch {
            throw .ioFailed("PostgreSQL returned a row of an unexpected shape: \(String(reflecting: error))")
        }
    }

    private static func storedValue(_ row: PostgresRow) throws(StorageError) -> StoredValue {
        let (value, encoding) = try decode(row, (ByteBuffer, Int16).self)
        return StoredValue(data: data(value), encoding: Int(encoding))
    }

    private static func storedEntry(_ row: PostgresRow) throws(StorageError) -> StoredEntry {
        let (key, value, encoding) = try decode(row, (ByteBuffer, ByteBuffer, Int16).self)
        return StoredEntry(key: data(key), value: StoredValue(data: data(value), encoding: Int(encoding)))
    }
}
