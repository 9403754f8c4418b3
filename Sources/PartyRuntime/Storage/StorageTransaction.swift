import Foundation
import OrderedCollections

/// The writes of one `RoomStorage.transaction` call, kept in memory until the body returns.
///
/// Reads go through the transaction's own writes (an overlay over the database), so a `get`
/// after a `put` in the same transaction sees the new value. Use it only inside the body.
public final class StorageTransaction {
    private let storage: RoomStorage
    /// The transaction's writes, over the room's storage.
    private var overlay = StorageOverlay()
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
            switch overlay.lookup(keyBytes) {
            case .value(let stored):
                values[key] = try codec.decode(T.self, from: stored.data, encoding: stored.encoding, key: key)
            case .absent:
                break
            case .unknown:
                unwritten.append(keyBytes)
            }
        }
        guard !unwritten.isEmpty else { return values }
        for entry in try await storage.readValues(unwritten) {
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
        var rows: [StoredEntry] = []
        if !overlay.hidesDatabase {
            // Each overlay entry hides or replaces at most one row, so `limit + overlay` rows are enough.
            let extra = overlay.count(in: range)
            rows = try await storage.readEntries(range, reverse: reverse, limit: limit.map { $0 + extra })
        }
        return try storage.decode(overlay.merged(rows, range: range, reverse: reverse, limit: limit), as: T.self)
    }

    // MARK: - Writing

    /// Stores `value` under `key` when the transaction commits.
    public func put<T: Codable & Sendable>(_ key: String, _ value: T) throws(StorageError) {
        try checkActive()
        let keyBytes = try codec.key(key)
        let stored = try codec.encode(value, key: key)
        overlay.set(keyBytes, StoredValue(data: stored.data, encoding: stored.encoding.rawValue), batch: 0)
    }

    /// Stores every entry when the transaction commits; on error none of them is recorded.
    public func put<T: Codable & Sendable>(_ entries: [String: T]) throws(StorageError) {
        try checkActive()
        var encoded: [(key: Data, value: StoredValue)] = []
        encoded.reserveCapacity(entries.count)
        for (key, value) in entries {
            let keyBytes = try codec.key(key)
            let stored = try codec.encode(value, key: key)
            encoded.append((keyBytes, StoredValue(data: stored.data, encoding: stored.encoding.rawValue)))
        }
        for entry in encoded { overlay.set(entry.key, entry.value, batch: 0) }
    }

    /// Removes `key` when the transaction commits; returns whether it exists now.
    @discardableResult
    nonisolated(nonsending) public func delete(_ key: String) async throws(StorageError) -> Bool {
        try checkActive()
        let keyBytes = try codec.key(key)
        let existed = try await storedValue(keyBytes) != nil
        overlay.set(keyBytes, nil, batch: 0)
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
            overlay.set(key, nil, batch: 0)
        }
        return existing
    }

    /// Removes every key of the room when the transaction commits (not its alarm or snapshot).
    public func deleteAll() throws(StorageError) {
        try checkActive()
        overlay.clearAll(batch: 0)
    }

    /// Discards every write of the transaction; nothing is committed and later calls throw
    /// `StorageError.transactionEnded`.
    public func rollback() {
        isRolledBack = true
        isEnded = true
        overlay.removeAll()
    }

    // MARK: - Committing

    /// Ends the transaction and returns the changes to commit (none after `rollback()`).
    @discardableResult
    func end() -> [RoomWriteBatch.Change] {
        defer {
            isEnded = true
            overlay.removeAll()
        }
        guard !isEnded, !isRolledBack else { return [] }
        var changes: [RoomWriteBatch.Change] = []
        changes.reserveCapacity(overlay.entries.count + 1)
        if overlay.hidesDatabase { changes.append(.deleteAll) }
        for (key, entry) in overlay.entries {
            if let value = entry.value {
                changes.append(.put(key, value))
            } else if !overlay.hidesDatabase {
                // After deleteAll the row is gone already.
                changes.append(.delete(key))
            }
        }
        return changes
    }

    private func checkActive() throws(StorageError) {
        if isEnded { throw .transactionEnded }
    }

    /// The value of `key` (stored bytes) as this transaction sees it.
    nonisolated(nonsending) private func storedValue(_ key: Data) async throws(StorageError) -> StoredValue? {
        switch overlay.lookup(key) {
        case .value(let value): return value
        case .absent: return nil
        case .unknown: return try await storage.readValue(key)
        }
    }
}
