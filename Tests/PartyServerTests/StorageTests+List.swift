import Foundation
import GRDB
@testable import PartyRuntime
import PartyServer
import Testing

extension StorageTests {
    /// Keys in UTF-8 byte order (which is code point order): ASCII upper case before lower case,
    /// then two-, three- and four-byte characters. "¿" ends in byte 0xBF and "À" follows it.
    static let orderedKeys = ["Z", "a", "ab", "abc", "b", "ba", "c", "¿", "¿x", "À", "é", "日", "日本", "日本語", "😀"]

    /// A room holding ``orderedKeys``, each with its own key as value, written in shuffled order.
    private func listRoom(_ engine: StorageEngine) async throws -> RoomStorage {
        let room = engine.room("list")
        for key in Self.orderedKeys.shuffled() { try await room.put(key, key) }
        return room
    }

    private func keys(
        _ room: RoomStorage,
        prefix: String? = nil,
        start: String? = nil,
        startAfter: String? = nil,
        end: String? = nil,
        limit: Int? = nil,
        reverse: Bool = false
    ) async throws -> [String] {
        let entries = try await room.list(
            prefix: prefix, start: start, startAfter: startAfter, end: end, limit: limit, reverse: reverse, as: String.self
        )
        for (key, value) in entries { #expect(key == value) }
        return Array(entries.keys)
    }

    @Test("list without parameters returns every entry in UTF-8 byte order")
    func listInByteOrder() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = try await listRoom(engine)
            #expect(Self.orderedKeys == Self.orderedKeys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            #expect(try await keys(room) == Self.orderedKeys)
            #expect(try await keys(room, reverse: true) == Self.orderedKeys.reversed())
            #expect(try await engine.room("empty").list(as: String.self).isEmpty)
        }
    }

    @Test("list with prefix selects exactly the keys that start with it, multibyte prefixes included")
    func listPrefix() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = try await listRoom(engine)
            #expect(try await keys(room, prefix: "a") == ["a", "ab", "abc"])
            #expect(try await keys(room, prefix: "ab") == ["ab", "abc"])
            #expect(try await keys(room, prefix: "b") == ["b", "ba"])
            #expect(try await keys(room, prefix: "日") == ["日", "日本", "日本語"])
            #expect(try await keys(room, prefix: "日本") == ["日本", "日本語"])
            #expect(try await keys(room, prefix: "¿") == ["¿", "¿x"])
            #expect(try await keys(room, prefix: "é") == ["é"])
            #expect(try await keys(room, prefix: "e") == [])
            #expect(try await keys(room, prefix: "😀") == ["😀"])
            #expect(try await keys(room, prefix: "") == Self.orderedKeys)
            #expect(try await keys(room, prefix: "q") == [])
        }
    }

    @Test("list with start (inclusive), startAfter (exclusive) and end (exclusive)")
    func listBounds() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = try await listRoom(engine)
            #expect(try await keys(room, start: "é") == ["é", "日", "日本", "日本語", "😀"])
            #expect(try await keys(room, startAfter: "日本") == ["日本語", "😀"])
            #expect(try await keys(room, end: "ab") == ["Z", "a"])
            #expect(try await keys(room, start: "ab", end: "ba") == ["ab", "abc", "b"])
            #expect(try await keys(room, startAfter: "ab", end: "ba") == ["abc", "b"])
            // Bounds that are not stored keys.
            #expect(try await keys(room, start: "aa", end: "bb") == ["ab", "abc", "b", "ba"])
            // When both are given the stricter lower bound wins.
            #expect(try await keys(room, start: "a", startAfter: "ab") == Array(Self.orderedKeys.dropFirst(3)))
            #expect(try await keys(room, start: "ab", startAfter: "ab", end: "b") == ["abc"])
            // Empty ranges.
            #expect(try await keys(room, start: "c", end: "b") == [])
            #expect(try await keys(room, start: "b", end: "b") == [])
            #expect(try await keys(room, startAfter: "😀") == [])
        }
    }

    @Test("list with limit and reverse: the limit applies after ordering; limit 0 returns nothing")
    func listReverseAndLimit() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = try await listRoom(engine)
            #expect(try await keys(room, limit: 3) == ["Z", "a", "ab"])
            #expect(try await keys(room, limit: 3, reverse: true) == ["😀", "日本語", "日本"])
            #expect(try await keys(room, limit: 100) == Self.orderedKeys)
            #expect(try await keys(room, limit: 0) == [])
            #expect(try await keys(room, limit: -1) == [])
        }
    }

    @Test("list combines prefix, bounds, limit and reverse")
    func listCombinations() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = try await listRoom(engine)
            #expect(try await keys(room, prefix: "a", start: "ab") == ["ab", "abc"])
            #expect(try await keys(room, prefix: "a", startAfter: "ab") == ["abc"])
            #expect(try await keys(room, prefix: "a", end: "abc") == ["a", "ab"])
            #expect(try await keys(room, prefix: "a", limit: 2, reverse: true) == ["abc", "ab"])
            #expect(try await keys(room, prefix: "日", startAfter: "日", limit: 1, reverse: true) == ["日本語"])
            #expect(try await keys(room, prefix: "日", start: "日本", end: "日本語", reverse: true) == ["日本"])
            #expect(try await keys(room, start: "b", end: "日本", limit: 4, reverse: true) == ["日", "é", "À", "¿x"])
            // A bound outside the prefix range leaves nothing.
            #expect(try await keys(room, prefix: "a", start: "b") == [])
            #expect(try await keys(room, prefix: "b", end: "a") == [])
        }
    }

    @Test("a ranged list in either order is a primary-key range search without a sort")
    func listUsesPrimaryKeyRange() async throws {
        try await StorageFixture.withEngine { engine, _ in
            for order in ["ASC", "DESC"] {
                let sql = "SELECT key, value, encoding FROM kv WHERE \(StorageSchema.ofRoom) AND key >= ? AND key < ? ORDER BY key \(order) LIMIT ?"
                let plan = try #require(engine.sqlite).database.read { db in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: [Data("s".utf8), Data("r".utf8), Data("a".utf8), Data("b".utf8), 10])
                        .map { $0["detail"] as String }
                        .joined(separator: "; ")
                }
                #expect(plan.contains("SEARCH kv USING PRIMARY KEY (server=? AND room=? AND key>? AND key<?)"), "\(order): \(plan)")
                #expect(!plan.contains("TEMP B-TREE"), "\(order): \(plan)")
            }
        }
    }
}
