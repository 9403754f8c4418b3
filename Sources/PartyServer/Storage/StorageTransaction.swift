import Foundation
import OrderedCollections

/// The writes of one `RoomStorage.transaction` call, kept in memory until the body returns.
///
/// Reads go through the transaction's own writes (an overlay over the database), so a `get`
/// after a `put` in the same transaction sees the new value. Use it only inside the body.
public final class StorageTransaction {
    private enum Pending {
        case put(Data, StoredEncoding)
        case deleted
    }

    private let storage: RoomStorage
    private var writes: [Data: Pending] = [:]
    /// Whether `deleteAll()` was called: database rows are hidden, only `writes` remain.
    private var clearedAll = false
    private var isRolledBack = false
    private var isEnded = false

    init(storage: RoomStorage) {
        self.storage = storage
    }

    private var codec: StorageCodec { storage.codec }

    // MARK: - Reading

    /// The value stored under `key` as this transaction sees it, or `nil`.
    nonisolated(nonsending) public func get<T: Codable & Sendable>(
        _ key: String,
        as type: T.Type = T.self
    ) async throws(StorageError) -> T? {
        try checkActive()
        let keyBytes = try codec.key(key)
        guard let stored = try await storedValue(keyBytes) else { return nil }
        return try codec.decode(T.self, from: stored.data, encoding: stored.encoding, key: key)
    }

    /// The values stored under `keys` as this transaction sees them; missing keys are absent.
    nonisolated(nonsending) public func get<T: Codable & Sendable>(
        _ keys: [String],
        as type: T.Type = T.self
    ) async throws(StorageError) -> [String: T] {
        try checkActive()
        var values: [String: T] = [:]
        var unwritten: [Data] = []
        for key in keys {
            let keyBytes = try codec.key(key)
            switch writes[keyBytes] {
            case .put(let data, let encoding):
                values[key] = try codec.decode(T.self, from: data, encoding: encoding.rawValue, key: key)
            case .deleted:
                break
            case nil:
                if !clearedAll { unwritten.append(keyBytes) }
            }
        }
        guard !unwritten.isEmpty else { return values }
        let entries = try await storage.engine.values(server: storage.serverBytes, room: storage.roomBytes, keys: unwritten)
        for entry in entries {
            let key = StorageCodec.string(entry.key)
            values[key] = try codec.decode(T.self, from: entry.value.data, encoding: entry.value.encoding, key: key)
        }
        return values
    }

    /// The entries as this transaction sees them, with the same parameters as `RoomStorage.list`.
    nonisolated(nonsending) public func list<T: Codable & Sendable>(
        prefix: String? = nil,
        start: String? = nil,
        startAfter: String? = nil,
        end: String? = nil,
        limit: Int? = nil,
        reverse: Bool = false,
        as type: T.Type = T.self
    ) async throws(StorageError) -> OrderedDictionary<String, T> {
        try checkActive()
        let range = StorageKeyRange(prefix: prefix, start: start, startAfter: startAfter, end: end)
        if range.isEmpty || limit.map({ $0 <= 0 }) == true { return [:] }
        let overlay = writes.filter { range.contains($0.key) }
        var merged: [Data: StoredValue] = [:]
        if !clearedAll {
            // Each overlay entry hides or replaces at most one database row, so `limit + overlay`
            // rows from the database are enough to fill `limit` after merging.
            let rows = try await storage.engine.entries(
                server: storage.serverBytes,
                room: storage.roomBytes,
                range: range,
                reverse: reverse,
                limit: limit.map { $0 + overlay.count }
            )
            for row in rows { merged[row.key] = row.value }
        }
        for (key, pending) in overlay {
            switch pending {
            case .put(let data, let encoding): merged[key] = StoredValue(data: data, encoding: encoding.rawValue)
            case .deleted: merged[key] = nil
            }
        }
        var entries = merged.map { StoredEntry(key: $0.key, value: $0.value) }
        entries.sort { reverse ? $1.key.lexicographicallyPrecedes($0.key) : $0.key.lexicographicallyPrecedes($1.key) }
        if let limit, entries.count > limit { entries.removeLast(entries.count - limit) }
        return try storage.decode(entries, as: T.self)
    }

    // MARK: - Writing

    /// Stores `value` under `key` when the transaction commits.
    public func put<T: Codable & Sendable>(_ key: String, _ value: T) throws(StorageError) {
        try checkActive()
        let keyBytes = try codec.key(key)
        let stored = try codec.encode(value, key: key)
        writes[keyBytes] = .put(stored.data, stored.encoding)
    }

    /// Stores every entry when the transaction commits; on error none of them is recorded.
    public func put<T: Codable & Sendable>(_ entries: [String: T]) throws(StorageError) {
        try checkActive()
        var encoded: [(key: Data, data: Data, encoding: StoredEncoding)] = []
        encoded.reserveCapacity(entries.count)
        for (key, value) in entries {
            let keyBytes = try codec.key(key)
            let stored = try codec.encode(value, key: key)
            encoded.append((keyBytes, stored.data, stored.encoding))
        }
        for entry in encoded { writes[entry.key] = .put(entry.data, entry.encoding) }
    }

    /// Removes `key` when the transaction commits; returns whether it exists now.
    @discardableResult
    nonisolated(nonsending) public func delete(_ key: String) async throws(StorageError) -> Bool {
        try checkActive()
        let keyBytes = try codec.key(key)
        let existed = try await storedValue(keyBytes) != nil
        writes[keyBytes] = .deleted
        return existed
    }

    /// Removes `keys` when the transaction commits; returns how many of them exist now.
    @discardableResult
    nonisolated(nonsending) public func delete(_ keys: [String]) async throws(StorageError) -> Int {
        try checkActive()
        var keyBytes: [Data] = []
        keyBytes.reserveCapacity(keys.count)
        for key in keys { keyBytes.append(try codec.key(key)) }
        var existing = 0
        for key in keyBytes {
            if try await storedValue(key) != nil { existing += 1 }
            writes[key] = .deleted
        }
        return existing
    }

    /// Removes every key of the room when the transaction commits (not its alarm or snapshot).
    public func deleteAll() throws(StorageError) {
        try checkActive()
        writes.removeAll()
        clearedAll = true
    }

    /// Discards every write of the transaction; nothing is committed and later calls throw
    /// `StorageError.transactionEnded`.
    public func rollback() {
        isRolledBack = true
        isEnded = true
        writes.removeAll()
        clearedAll = false
    }

    // MARK: - Committing

    /// Ends the transaction and returns the operations to commit (none after `rollback()`).
    @discardableResult
    func end() -> [StorageOperation] {
        defer {
            isEnded = true
            writes.removeAll()
        }
        guard !isEnded, !isRolledBack else { return [] }
        var operations: [StorageOperation] = []
        operations.reserveCapacity(writes.count + 1)
        if clearedAll { operations.append(.deleteAll) }
        for (key, pending) in writes {
            switch pending {
            case .put(let data, let encoding):
                operations.append(.put(key: key, value: data, encoding: encoding))
            case .deleted:
                // After deleteAll the row is gone already.
                if !clearedAll { operations.append(.delete(key: key)) }
            }
        }
        return operations
    }

    private func checkActive() throws(StorageError) {
        if isEnded { throw .transactionEnded }
    }

    /// The value of `key` (stored bytes) as this transaction sees it.
    nonisolated(nonsending) private func storedValue(_ key: Data) async throws(StorageError) -> StoredValue? {
        switch writes[key] {
        case .put(let data, let encoding): return StoredValue(data: data, encoding: encoding.rawValue)
        case .deleted: return nil
        case nil:
            if clearedAll { return nil }
            return try await storage.engine.value(server: storage.serverBytes, room: storage.roomBytes, key: key)
        }
    }
}
