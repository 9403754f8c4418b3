import Foundation
import OrderedCollections

/// One room's durable key-value storage.
///
/// Values are any `Codable` type, stored as JSON; a `Data` value is stored as its bytes. Keys are
/// ordered by their UTF-8 bytes (code point order). A write is durable when it returns, and
/// while it is pending the room's outgoing messages are held (unless `allowUnconfirmed: true`),
/// so no client sees the effect of a write that a crash could lose. Writes run on the caller's
/// actor until they are queued for commit, so a room's writes commit in the order it made them
/// (two hooks interleaving at an `await` cannot swap two puts of the same key). Writes are validated before
/// anything is stored: a key over `maxKeyBytes` or a value over `maxValueBytes` stores nothing.
public final class RoomStorage: Sendable {
    let engine: StorageEngine
    let gate: OutputGate
    let server: String
    let room: String
    let serverBytes: Data
    let roomBytes: Data

    init(engine: StorageEngine, server: String, room: String, gate: OutputGate) {
        self.engine = engine
        self.gate = gate
        self.server = server
        self.room = room
        self.serverBytes = Data(server.utf8)
        self.roomBytes = Data(room.utf8)
    }

    var codec: StorageCodec { engine.codec }

    // MARK: - Reading

    /// The value stored under `key`, or `nil` if there is none.
    public func get<T: Codable & Sendable>(_ key: String, as type: T.Type = T.self) async throws(StorageError) -> T? {
        let keyBytes = try codec.key(key)
        guard let stored = try await engine.value(server: serverBytes, room: roomBytes, key: keyBytes) else { return nil }
        return try codec.decode(T.self, from: stored.data, encoding: stored.encoding, key: key)
    }

    /// The values stored under `keys`; keys without a value are absent from the result.
    public func get<T: Codable & Sendable>(_ keys: [String], as type: T.Type = T.self) async throws(StorageError) -> [String: T] {
        var keyBytes: [Data] = []
        keyBytes.reserveCapacity(keys.count)
        for key in keys { keyBytes.append(try codec.key(key)) }
        var values: [String: T] = [:]
        for entry in try await engine.values(server: serverBytes, room: roomBytes, keys: keyBytes) {
            let key = StorageCodec.string(entry.key)
            values[key] = try codec.decode(T.self, from: entry.value.data, encoding: entry.value.encoding, key: key)
        }
        return values
    }

    /// The room's entries in key order (descending when `reverse`), at most `limit` of them.
    ///
    /// - Parameters:
    ///   - prefix: only keys that start with it.
    ///   - start: only keys greater than or equal to it.
    ///   - startAfter: only keys greater than it.
    ///   - end: only keys less than it.
    ///   - limit: at most this many entries, the first ones in the requested order; `nil` for
    ///     all, 0 or less for none.
    ///   - reverse: descending key order.
    public func list<T: Codable & Sendable>(
        prefix: String? = nil,
        start: String? = nil,
        startAfter: String? = nil,
        end: String? = nil,
        limit: Int? = nil,
        reverse: Bool = false,
        as type: T.Type = T.self
    ) async throws(StorageError) -> OrderedDictionary<String, T> {
        let range = StorageKeyRange(prefix: prefix, start: start, startAfter: startAfter, end: end)
        let entries = try await engine.entries(server: serverBytes, room: roomBytes, range: range, reverse: reverse, limit: limit)
        return try decode(entries, as: T.self)
    }

    // MARK: - Writing

    /// Stores `value` under `key`, replacing any previous value.
    nonisolated(nonsending) public func put<T: Codable & Sendable>(_ key: String, _ value: T, allowUnconfirmed: Bool = false) async throws(StorageError) {
        let keyBytes = try codec.key(key)
        let stored = try codec.encode(value, key: key)
        try await submit([.put(key: keyBytes, value: stored.data, encoding: stored.encoding)], allowUnconfirmed: allowUnconfirmed)
    }

    /// Stores every entry atomically: all of them or, on error, none.
    nonisolated(nonsending) public func put<T: Codable & Sendable>(_ entries: [String: T], allowUnconfirmed: Bool = false) async throws(StorageError) {
        var operations: [StorageOperation] = []
        operations.reserveCapacity(entries.count)
        for (key, value) in entries {
            let keyBytes = try codec.key(key)
            let stored = try codec.encode(value, key: key)
            operations.append(.put(key: keyBytes, value: stored.data, encoding: stored.encoding))
        }
        try await submit(operations, allowUnconfirmed: allowUnconfirmed)
    }

    /// Removes `key`; returns whether it existed.
    @discardableResult
    nonisolated(nonsending) public func delete(_ key: String, allowUnconfirmed: Bool = false) async throws(StorageError) -> Bool {
        let keyBytes = try codec.key(key)
        return try await submit([.delete(key: keyBytes)], allowUnconfirmed: allowUnconfirmed) > 0
    }

    /// Removes `keys` atomically; returns how many of them existed.
    @discardableResult
    nonisolated(nonsending) public func delete(_ keys: [String], allowUnconfirmed: Bool = false) async throws(StorageError) -> Int {
        var operations: [StorageOperation] = []
        operations.reserveCapacity(keys.count)
        for key in keys { operations.append(.delete(key: try codec.key(key))) }
        return try await submit(operations, allowUnconfirmed: allowUnconfirmed)
    }

    /// Removes every key of this room; the room's alarm and snapshot stay.
    nonisolated(nonsending) public func deleteAll(allowUnconfirmed: Bool = false) async throws(StorageError) {
        try await submit([.deleteAll], allowUnconfirmed: allowUnconfirmed)
    }

    /// Runs `body` as one atomic write that reads its own writes.
    ///
    /// `body` runs on the caller's actor and may await. When it returns, all its writes are
    /// committed as one submission and are durable when this returns. If it throws, or called
    /// `rollback()`, nothing is written (the error is rethrown). The room's outgoing messages are
    /// held from the start of `body` until the commit, so no client sees uncommitted state.
    ///
    /// Reads see the database as it is when they run plus the transaction's own writes: writes
    /// made outside the transaction while `body` is suspended are visible to its later reads,
    /// and a key written by both ends with the value committed last.
    public func transaction<R: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (StorageTransaction) async throws -> R
    ) async throws -> R {
        gate.beginWrite()
        defer { gate.endWrite() }
        let transaction = StorageTransaction(storage: self)
        let result: R
        do {
            result = try await body(transaction)
        } catch {
            transaction.end()
            throw error
        }
        let operations = transaction.end()
        if !operations.isEmpty {
            try await engine.submit(StorageSubmission(server: serverBytes, room: roomBytes, operations: operations))
        }
        return result
    }

    // MARK: - Helpers

    /// Submits `operations` as one write, holding the output gate unless `allowUnconfirmed`.
    @discardableResult
    nonisolated(nonsending) private func submit(_ operations: [StorageOperation], allowUnconfirmed: Bool) async throws(StorageError) -> Int {
        if allowUnconfirmed {
            return try await engine.submit(StorageSubmission(server: serverBytes, room: roomBytes, operations: operations))
        }
        gate.beginWrite()
        defer { gate.endWrite() }
        return try await engine.submit(StorageSubmission(server: serverBytes, room: roomBytes, operations: operations))
    }

    /// Decodes listed entries, keeping their order.
    func decode<T: Decodable>(_ entries: [StoredEntry], as type: T.Type) throws(StorageError) -> OrderedDictionary<String, T> {
        var result = OrderedDictionary<String, T>(minimumCapacity: entries.count)
        for entry in entries {
            let key = StorageCodec.string(entry.key)
            result[key] = try codec.decode(T.self, from: entry.value.data, encoding: entry.value.encoding, key: key)
        }
        return result
    }
}
