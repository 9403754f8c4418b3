import Foundation
import PartyRuntime

/// Where a TinyBase room's store lives in its storage: the mergeable content as JSON, in chunks
/// under `tinybase/store/`, and the store's unique id (`tinybase/id`, the client part of its
/// stamps).
struct TinyBaseStorage {
    /// The room's storage.
    let storage: RoomStorage

    static let chunkPrefix = "tinybase/store/"
    static let idKey = "tinybase/id"

    /// The key of chunk `index`.
    static func chunkKey(_ index: Int) -> String {
        let digits = String(index)
        return chunkPrefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The store's unique id, made and stored on first use.
    func uniqueId() async throws -> String {
        if let id: String = try await storage.get(Self.idKey) { return id }
        let id = String((0..<16).map { _ in TinyBaseHLC.alphabet.randomElement()! })
        try await storage.put(Self.idKey, id)
        return id
    }

    /// The stored content and its chunk count, or nil when nothing is stored.
    func load() async throws(StorageError) -> (content: Data, chunks: Int)? {
        let chunks = try await storage.list(prefix: Self.chunkPrefix, as: Data.self)
        guard !chunks.isEmpty else { return nil }
        var content = Data()
        for chunk in chunks.values { content.append(chunk) }
        return (content, chunks.count)
    }

    /// Replaces the stored content (of `oldChunks` chunks) with `content` in one atomic write;
    /// returns the new chunk count.
    func save(_ content: Data, chunkBytes: Int, oldChunks: Int) async throws(StorageError) -> Int {
        var chunks: [(key: String, value: Data)] = []
        var start = content.startIndex
        repeat {
            let end = min(start + max(chunkBytes, 1), content.endIndex)
            chunks.append((Self.chunkKey(chunks.count), content.subdata(in: start..<end)))
            start = end
        } while start < content.endIndex
        let stale = oldChunks > chunks.count ? (chunks.count..<oldChunks).map(Self.chunkKey) : []
        try await storage.replace(deleting: stale, putting: chunks)
        return chunks.count
    }
}
