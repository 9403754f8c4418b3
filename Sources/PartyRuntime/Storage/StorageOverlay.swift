import Foundation

/// Writes not yet in the database, laid over it: what a transaction wrote so far, or what a
/// room wrote that is not yet committed. Reads consult it first; `list` merges it with the rows.
///
/// Each entry remembers the batch it was written in, so a room can drop the entries a commit
/// made durable without dropping a newer write of the same key.
struct StorageOverlay: Sendable {
    /// One key's pending value (`nil`: deleted) and the batch that wrote it.
    struct Entry: Sendable {
        var value: StoredValue?
        var batch: UInt64
    }

    /// What the overlay says about one key.
    enum Lookup {
        /// A pending value.
        case value(StoredValue)
        /// Deleted (by `delete` or `deleteAll`).
        case absent
        /// Not written: read the database.
        case unknown
    }

    private(set) var entries: [Data: Entry] = [:]
    /// The batch of a pending `deleteAll`: every database row is hidden.
    private(set) var clearedIn: UInt64?

    /// Whether nothing is pending.
    var isEmpty: Bool { entries.isEmpty && clearedIn == nil }

    /// Whether every database row is hidden by a pending `deleteAll`.
    var hidesDatabase: Bool { clearedIn != nil }

    /// What the overlay says about `key`.
    func lookup(_ key: Data) -> Lookup {
        if let entry = entries[key] {
            return entry.value.map(Lookup.value) ?? .absent
        }
        return clearedIn == nil ? .unknown : .absent
    }

    /// Records a put (`value`) or a delete (`nil`) of `key` in `batch`.
    mutating func set(_ key: Data, _ value: StoredValue?, batch: UInt64) {
        entries[key] = Entry(value: value, batch: batch)
    }

    /// Records a `deleteAll` in `batch`: earlier entries are gone, database rows hidden.
    mutating func clearAll(batch: UInt64) {
        entries.removeAll()
        clearedIn = batch
    }

    /// Empties the overlay.
    mutating func removeAll() {
        entries.removeAll()
        clearedIn = nil
    }

    /// Drops what batches up to `batch` wrote (now in the database), keeping newer writes.
    mutating func removeCommitted(through batch: UInt64) {
        if let cleared = clearedIn, cleared <= batch { clearedIn = nil }
        guard !entries.isEmpty else { return }
        entries = entries.filter { $0.value.batch > batch }
    }

    /// Number of entries in `range`: how many database rows they may hide or add.
    func count(in range: StorageKeyRange) -> Int {
        entries.keys.reduce(0) { $0 + (range.contains($1) ? 1 : 0) }
    }

    /// `rows` (from the database, in order, at most `limit + count(in: range)` of them) with
    /// the overlay applied: hidden rows removed, pending values added, in key order (descending
    /// when `reverse`), at most `limit`.
    func merged(_ rows: [StoredEntry], range: StorageKeyRange, reverse: Bool, limit: Int?) -> [StoredEntry] {
        if isEmpty {
            guard let limit, rows.count > limit else { return rows }
            return Array(rows.prefix(limit))
        }
        var merged: [Data: StoredValue] = [:]
        if clearedIn == nil {
            for row in rows { merged[row.key] = row.value }
        }
        for (key, entry) in entries where range.contains(key) {
            merged[key] = entry.value
        }
        var result = merged.map { StoredEntry(key: $0.key, value: $0.value) }
        result.sort { reverse ? $1.key.lexicographicallyPrecedes($0.key) : $0.key.lexicographicallyPrecedes($1.key) }
        if let limit, result.count > limit { result.removeLast(result.count - limit) }
        return result
    }
}
