import Foundation

/// A stored value's bytes and how to read them (a ``StoredEncoding`` raw value).
package struct StoredValue: Sendable {
    /// The stored bytes.
    package let data: Data
    /// A ``StoredEncoding`` raw value.
    package let encoding: Int

    /// A value with its bytes and encoding.
    package init(data: Data, encoding: Int) {
        self.data = data
        self.encoding = encoding
    }
}

/// A stored key (its UTF-8 bytes) and its value.
package struct StoredEntry: Sendable {
    /// The key's UTF-8 bytes.
    package let key: Data
    /// Its value.
    package let value: StoredValue

    /// An entry with its key and value.
    package init(key: Data, value: StoredValue) {
        self.key = key
        self.value = value
    }
}

extension StorageEngine {
    /// The value stored under `key` in the room.
    func value(server: Data, room: Data, key: Data) async throws(StorageError) -> StoredValue? {
        try checkOpen()
        return try await backend.value(server: server, room: room, key: key)
    }

    /// The values stored under `keys` in the room (missing keys absent), read in one access.
    func values(server: Data, room: Data, keys: [Data]) async throws(StorageError) -> [StoredEntry] {
        try checkOpen()
        return try await backend.values(server: server, room: room, keys: keys)
    }

    /// The room's entries in `range`, in key byte order (descending when `reverse`), at most
    /// `limit` of them (`nil`: all).
    func entries(server: Data, room: Data, range: StorageKeyRange, reverse: Bool, limit: Int?) async throws(StorageError) -> [StoredEntry] {
        if range.isEmpty || limit.map({ $0 <= 0 }) == true { return [] }
        try checkOpen()
        return try await backend.entries(server: server, room: room, range: range, reverse: reverse, limit: limit)
    }
}
