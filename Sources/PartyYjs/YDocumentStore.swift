import Foundation
import PartyRuntime

/// Where a Yjs room's document lives in its storage: a snapshot (the merged document, in chunks
/// under `yjs/doc/`) and the updates received since it (`yjs/u/<sequence>`, in order).
struct YDocumentStore {
    /// The room's storage.
    let storage: RoomStorage

    static let snapshotPrefix = "yjs/doc/"
    static let updatePrefix = "yjs/u/"

    /// What `load()` found.
    struct Loaded {
        /// The snapshot's bytes, when there is one.
        var snapshot: [UInt8]?
        /// How many chunks it was stored in.
        var snapshotChunks = 0
        /// The updates stored after it, in order.
        var updates: [[UInt8]] = []
        /// Their sequence numbers (first to last + 1).
        var updateSequences: Range<UInt64> = 0..<0

        /// Whether nothing was stored.
        var isEmpty: Bool { snapshot == nil && updates.isEmpty }
    }

    /// The key of the update with `sequence`: 16 digits, so keys sort as numbers do.
    static func updateKey(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return updatePrefix + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// The key of snapshot chunk `index`.
    static func chunkKey(_ index: Int) -> String {
        let digits = String(index)
        return snapshotPrefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Reads the snapshot and the updates after it.
    func load() async throws(StorageError) -> Loaded {
        var loaded = Loaded()
        let chunks = try await storage.list(prefix: Self.snapshotPrefix, as: Data.self)
        if !chunks.isEmpty {
            var snapshot: [UInt8] = []
            snapshot.reserveCapacity(chunks.values.reduce(0) { $0 + $1.count })
            for chunk in chunks.values { snapshot.append(contentsOf: chunk) }
            loaded.snapshot = snapshot
            loaded.snapshotChunks = chunks.count
        }
        let updates = try await storage.list(prefix: Self.updatePrefix, as: Data.self)
        loaded.updates = updates.values.map { [UInt8]($0) }
        if let first = updates.keys.first.flatMap(Self.sequence), let last = updates.keys.last.flatMap(Self.sequence) {
            loaded.updateSequences = first..<(last + 1)
        }
        return loaded
    }

    /// Stores `update` as number `sequence`.
    func append(_ update: [UInt8], sequence: UInt64) async throws(StorageError) {
        try await storage.put(Self.updateKey(sequence), Data(update))
    }

    /// Replaces the snapshot (of `oldChunks` chunks) and the updates `updates` with `document`,
    /// in one atomic write; returns the new snapshot's chunk count.
    func compact(_ document: [UInt8], chunkBytes: Int, oldChunks: Int, updates: Range<UInt64>) async throws(StorageError) -> Int {
        var chunks: [(key: String, value: Data)] = []
        var start = 0
        repeat {
            let end = min(start + max(chunkBytes, 1), document.count)
            chunks.append((Self.chunkKey(chunks.count), Data(document[start..<end])))
            start = end
        } while start < document.count
        var deleting = updates.map(Self.updateKey)
        if oldChunks > chunks.count { deleting += (chunks.count..<oldChunks).map(Self.chunkKey) }
        try await storage.replace(deleting: deleting, putting: chunks)
        return chunks.count
    }

    private static func sequence(_ key: String) -> UInt64? {
        UInt64(key.dropFirst(updatePrefix.count))
    }
}
