import OrderedCollections
import PartyRuntime
import PartyServer

/// The keys of a Logux room's log in its storage, all under `logux/`:
/// `a/<added>` an action with its meta, `i/<id>` the position of an id (duplicates are found by
/// it), `c/<channel>/<added>` the actions of a channel, `n/<node>` a node's record, `last` the
/// newest position and `server` the room's node id.
struct LoguxLog {
    let storage: RoomStorage

    static let entryPrefix = "logux/a/"
    static let nodePrefix = "logux/n/"

    /// `logux/a/` and `added` as 16 digits, so keys sort by position.
    static func entryKey(_ added: Int64) -> String { entryPrefix + padded(added) }

    static func idKey(_ id: String) -> String { "logux/i/" + id }

    static func nodeKey(_ node: String) -> String { nodePrefix + node }

    /// A channel's index prefix; the length keeps `a` from matching `a/b`.
    static func channelPrefix(_ channel: String) -> String { "logux/c/\(channel.utf8.count):\(channel)/" }

    static func padded(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// Up to `limit` entries after position `after`, oldest first, and none past `through`.
    func entries(after: Int64, through: Int64? = nil, limit: Int) async throws(StorageError) -> [LoguxEntry] {
        let end = through.map { Self.entryKey($0 + 1) }
        return Array(try await storage.list(prefix: Self.entryPrefix, startAfter: Self.entryKey(after), end: end, limit: limit, as: LoguxEntry.self).values)
    }

    func entry(_ added: Int64) async throws(StorageError) -> LoguxEntry? {
        try await storage.get(Self.entryKey(added), as: LoguxEntry.self)
    }

    /// Whether an action with `id` is in the log.
    func contains(id: String) async throws(StorageError) -> Bool {
        try await storage.get(Self.idKey(id), as: Int64.self) != nil
    }

    /// Stores `entry` with its id and channel indexes and the newest position.
    func append(_ entry: LoguxEntry) async throws(StorageError) {
        let added = entry.meta.added
        try await storage.put(Self.entryKey(added), entry)
        try await storage.put(Self.idKey(entry.meta.id), added)
        for channel in entry.meta.channels ?? [] {
            try await storage.put(Self.channelPrefix(channel) + Self.padded(added), added)
        }
        try await storage.put("logux/last", added)
    }

    /// Removes `entry` and its indexes.
    func remove(_ entry: LoguxEntry) async throws(StorageError) {
        var keys = [Self.entryKey(entry.meta.added), Self.idKey(entry.meta.id)]
        for channel in entry.meta.channels ?? [] { keys.append(Self.channelPrefix(channel) + Self.padded(entry.meta.added)) }
        try await storage.deleteUncounted(keys)
    }

    /// The positions of a channel's actions, oldest first, at most `limit`.
    func channelPositions(_ channel: String, limit: Int? = nil) async throws(StorageError) -> [Int64] {
        Array(try await storage.list(prefix: Self.channelPrefix(channel), limit: limit, as: Int64.self).values)
    }

    func record(_ node: String) async throws(StorageError) -> LoguxNodeRecord? {
        try await storage.get(Self.nodeKey(node), as: LoguxNodeRecord.self)
    }

    /// Stores a node's record; `confirmed: false` lets the room's output go on before it is
    /// durable.
    func save(_ record: LoguxNodeRecord, for node: String, confirmed: Bool = true) async throws(StorageError) {
        try await storage.put(Self.nodeKey(node), record, allowUnconfirmed: !confirmed)
    }

    /// Every node's record, by node id.
    func records() async throws(StorageError) -> OrderedDictionary<String, LoguxNodeRecord> {
        let stored = try await storage.list(prefix: Self.nodePrefix, as: LoguxNodeRecord.self)
        var records = OrderedDictionary<String, LoguxNodeRecord>()
        for (key, record) in stored { records[String(key.dropFirst(Self.nodePrefix.count))] = record }
        return records
    }

    func forget(node: String) async throws(StorageError) {
        try await storage.delete(Self.nodeKey(node))
    }
}
