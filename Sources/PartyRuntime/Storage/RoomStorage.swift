import Foundation
import OrderedCollections

/// One room's durable key-value storage.
///
/// Values are any `Codable` type, stored as JSON; a `Data` value is stored as its bytes. Keys are
/// ordered by their UTF-8 bytes (code point order). Writes are validated before anything is
/// stored: a key over `maxKeyBytes` or a value over `maxValueBytes` stores nothing.
///
/// Inside a hook (an event of the room), writes are coalesced: `put`, `delete` and `deleteAll`
/// return as soon as the write is in the room's write buffer, which every later read sees, and
/// all the writes of one event are committed together, atomically, when the event ends (the
/// writes of consecutive events share commits). Until they are durable, whatever the room sends
/// after them is held by its output gate (unless `allowUnconfirmed: true`), so no client sees
/// state a crash could lose. If the commit fails, the room is reset: its instance is discarded and
/// the next event starts a new one from storage. Outside an event (a task of your own), a write
/// is committed at once and durable when it returns; `sync()` waits for durability anywhere.
public final class RoomStorage: Sendable {
    let engine: StorageEngine
    let gate: OutputGate
    let server: String
    let room: String
    let serverBytes: Data
    let roomBytes: Data
    /// Writes not yet durable, and the batches that carry them to the group commit.
    let buffer: RoomWriteBuffer

    init(engine: StorageEngine, server: String, room: String, gate: OutputGate) {
        self.engine = engine
        self.gate = gate
        self.server = server
        self.room = room
        self.serverBytes = Data(server.utf8)
        self.roomBytes = Data(room.utf8)
        self.buffer = RoomWriteBuffer(engine: engine, gate: gate, server: serverBytes, room: roomBytes)
    }

    var codec: StorageCodec { engine.codec }

    // MARK: - Reading

    /// The value stored under `key`, or `nil` if there is none (a pending write counts).
    nonisolated(nonsending) public func get<T: Codable & Sendable>(_ key: String, as type: T.Type = T.self) async throws(StorageError) -> T? {
        let keyBytes = try codec.key(key)
        guard let stored = try await readValue(keyBytes) else { return nil }
        return try codec.decode(T.self, from: stored.data, encoding: stored.encoding, key: key)
    }

    /// The values stored under `keys`; keys without a value are absent from the result.
    nonisolated(nonsending) public func get<T: Codable & Sendable>(_ keys: [String], as type: T.Type = T.self) async throws(StorageError) -> [String: T] {
        var keyBytes: [Data] = []
        keyBytes.reserveCapacity(keys.count)
        for key in keys { keyBytes.append(try codec.key(key)) }
        var values: [String: T] = [:]
        for entry in try await readValues(keyBytes) {
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
    nonisolated(nonsending) public func list<T: Codable & Sendable>(
        prefix: String? = nil,
        start: String? = nil,
        startAfter: String? = nil,
        end: String? = nil,
        limit: Int? = nil,
        reverse: Bool = false,
        as type: T.Type = T.self
    ) async throws(StorageError) -> OrderedDictionary<String, T> {
        let range = StorageKeyRange(prefix: prefix, start: start, startAfter: startAfter, end: end)
        let entries = try await readEntries(range, reverse: reverse, limit: limit)
        return try decode(entries, as: T.self)
    }

    // MARK: - Writing

    /// Stores `value` under `key`, replacing any previous value.
    nonisolated(nonsending) public func put<T: Codable & Sendable>(_ key: String, _ value: T, allowUnconfirmed: Bool = false) async throws(StorageError) {
        let keyBytes = try codec.key(key)
        let stored = try codec.encode(value, key: key)
        try await write(CollectionOfOne(.put(keyBytes, StoredValue(data: stored.data, encoding: stored.encoding.rawValue))), confirmed: !allowUnconfirmed)
    }

    /// Stores every entry atomically: all of them or, on error, none.
    nonisolated(nonsending) public func put<T: Codable & Sendable>(_ entries: [String: T], allowUnconfirmed: Bool = false) async throws(StorageError) {
        var changes: [RoomWriteBatch.Change] = []
        changes.reserveCapacity(entries.count)
        for (key, value) in entries {
            let keyBytes = try codec.key(key)
            let stored = try codec.encode(value, key: key)
            changes.append(.put(keyBytes, StoredValue(data: stored.data, encoding: stored.encoding.rawValue)))
        }
        try await write(changes, confirmed: !allowUnconfirmed)
    }

    /// Removes `key`; returns whether it existed.
    @discardableResult
    nonisolated(nonsending) public func delete(_ key: String, allowUnconfirmed: Bool = false) async throws(StorageError) -> Bool {
        let keyBytes = try codec.key(key)
        let existed = try await readValue(keyBytes) != nil
        try await write(CollectionOfOne(.delete(keyBytes)), confirmed: !allowUnconfirmed)
        return existed
    }

    /// Removes `keys` atomically; returns how many of them existed.
    @discardableResult
    nonisolated(nonsending) public func delete(_ keys: [String], allowUnconfirmed: Bool = false) async throws(StorageError) -> Int {
        var keyBytes: [Data] = []
        keyBytes.reserveCapacity(keys.count)
        for key in keys { keyBytes.append(try codec.key(key)) }
        let existing = try await readValues(keyBytes).count
        try await write(keyBytes.map { .delete($0) }, confirmed: !allowUnconfirmed)
        return existing
    }

    /// Removes `keys` atomically without reading them first (`delete(_:)` reads them to count
    /// the ones that existed), for callers that remove many keys and do not need the count.
    nonisolated(nonsending) package func deleteUncounted(_ keys: [String], allowUnconfirmed: Bool = false) async throws(StorageError) {
        var keyBytes: [Data] = []
        keyBytes.reserveCapacity(keys.count)
        for key in keys { keyBytes.append(try codec.key(key)) }
        try await write(keyBytes.map { .delete($0) }, confirmed: !allowUnconfirmed)
    }

    /// Removes `deleting` and stores `putting` (raw bytes) as one atomic write, without reading
    /// first: for callers that replace many keys at once, such as a compaction.
    nonisolated(nonsending) package func replace(deleting: [String], putting: [(key: String, value: Data)]) async throws(StorageError) {
        var changes: [RoomWriteBatch.Change] = []
        changes.reserveCapacity(deleting.count + putting.count)
        for key in deleting { changes.append(.delete(try codec.key(key))) }
        for entry in putting {
            let stored = try codec.encode(entry.value, key: entry.key)
            changes.append(.put(try codec.key(entry.key), StoredValue(data: stored.data, encoding: stored.encoding.rawValue)))
        }
        try await write(changes, confirmed: true)
    }

    /// Removes every key of this room; the room's alarm and snapshot stay.
    nonisolated(nonsending) public func deleteAll(allowUnconfirmed: Bool = false) async throws(StorageError) {
        try await write(CollectionOfOne(.deleteAll), confirmed: !allowUnconfirmed)
    }

    /// Runs `body` as one atomic write that reads its own writes.
    ///
    /// `body` runs on the caller's actor and may await. When it returns, all its writes join the
    /// room's write buffer together (inside a hook they are committed with the event's other
    /// writes; outside one, before this returns). If it throws, or called `rollback()`, nothing
    /// is written (the error is rethrown). The room's outgoing messages are held from the start
    /// of `body` until its writes are durable, so no client sees uncommitted state.
    ///
    /// Reads see the room's storage as it is when they run plus the transaction's own writes.
    /// With the input gate (the default) no other event of the room runs meanwhile; without it,
    /// writes made outside the transaction while `body` is suspended are visible to its later
    /// reads, and a key written by both ends with the value written last.
    public func transaction<R: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (StorageTransaction) async throws -> R
    ) async throws -> R {
        try buffer.holdOutput()
        let transaction = StorageTransaction(storage: self)
        let result: R
        do {
            result = try await body(transaction)
        } catch {
            transaction.end()
            if !buffer.inEvent { buffer.seal() }
            throw error
        }
        try await write(transaction.end(), confirmed: true)
        return result
    }

    /// Waits until every write of this room made so far is durable, and throws the write's error
    /// if one failed (the room is then reset). Inside a hook, the event's writes so far are
    /// committed now (atomically among themselves) instead of with the event's end.
    nonisolated(nonsending) public func sync() async throws(StorageError) {
        if let error = await buffer.flush() { throw error }
    }

    /// Waits until the room's write batch `batch` (an `OutputGate.barrier`) is durable; returns
    /// the error if it failed instead. For answers held by the output gate (HTTP responses).
    package func waitDurable(_ batch: UInt64) async -> StorageError? {
        await buffer.waitDurable(batch)
    }

    /// Callers waiting until a write batch of this room is durable (held HTTP responses, `sync()`).
    package var durabilityWaiters: Int { buffer.durabilityWaiters }

    // MARK: - Helpers

    /// Records `changes` atomically; outside an event, commits them and waits until they are durable.
    nonisolated(nonsending) func write(_ changes: some Collection<RoomWriteBatch.Change>, confirmed: Bool) async throws(StorageError) {
        try buffer.write(changes, confirmed: confirmed)
        guard !buffer.inEvent else { return }
        if let error = await buffer.flush() { throw error }
    }

    /// The value of `key` (stored bytes) including pending writes.
    nonisolated(nonsending) func readValue(_ key: Data) async throws(StorageError) -> StoredValue? {
        switch try buffer.lookup(key) {
        case .value(let value): return value
        case .absent: return nil
        case .unknown: return try await engine.value(server: serverBytes, room: roomBytes, key: key)
        }
    }

    /// The entries of `keys` that have a value, including pending writes.
    nonisolated(nonsending) func readValues(_ keys: [Data]) async throws(StorageError) -> [StoredEntry] {
        let overlay = try buffer.overlay()
        var entries: [StoredEntry] = []
        var unknown: [Data] = []
        for key in keys {
            switch overlay.lookup(key) {
            case .value(let value): entries.append(StoredEntry(key: key, value: value))
            case .absent: break
            case .unknown: unknown.append(key)
            }
        }
        guard !unknown.isEmpty else { return entries }
        entries.append(contentsOf: try await engine.values(server: serverBytes, room: roomBytes, keys: unknown))
        return entries
    }

    /// The entries in `range` including pending writes, in key order, at most `limit`.
    nonisolated(nonsending) func readEntries(_ range: StorageKeyRange, reverse: Bool, limit: Int?) async throws(StorageError) -> [StoredEntry] {
        if range.isEmpty || limit.map({ $0 <= 0 }) == true { return [] }
        let overlay = try buffer.overlay()
        var rows: [StoredEntry] = []
        if !overlay.hidesDatabase {
            // Each overlay entry hides or replaces at most one row, so `limit + overlay` rows are enough.
            let extra = overlay.isEmpty ? 0 : overlay.count(in: range)
            rows = try await engine.entries(server: serverBytes, room: roomBytes, range: range, reverse: reverse, limit: limit.map { $0 + extra })
        }
        return overlay.merged(rows, range: range, reverse: reverse, limit: limit)
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
