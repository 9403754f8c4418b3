import Foundation
import GRDB
@testable import PartyRuntime
import PartyServer
import Testing

/// A value type with nested fields, to check JSON round trips.
private struct Profile: Codable, Sendable, Equatable {
    var name: String
    var scores: [Int]
    var tags: [String: Bool]
}

@Suite("Storage")
struct StorageTests {
    // MARK: - get / put / delete

    @Test("put then get returns the value for strings, numbers, arrays and structs; a missing key is nil")
    func putThenGet() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("basics")
            let profile = Profile(name: "Ada", scores: [3, 1, 2], tags: ["admin": true])
            try await room.put("string", "hello")
            try await room.put("int", 42)
            try await room.put("array", ["a", "b"])
            try await room.put("profile", profile)
            #expect(try await room.get("string", as: String.self) == "hello")
            #expect(try await room.get("int", as: Int.self) == 42)
            #expect(try await room.get("array", as: [String].self) == ["a", "b"])
            #expect(try await room.get("profile", as: Profile.self) == profile)
            #expect(try await room.get("missing", as: String.self) == nil)

            try await room.put("string", "replaced")
            let replaced: String? = try await room.get("string")
            #expect(replaced == "replaced")
        }
    }

    @Test("get of several keys returns the present ones and omits missing keys")
    func getMany() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("many")
            try await room.put(["a": 1, "b": 2, "c": 3])
            let values = try await room.get(["a", "c", "nope"], as: Int.self)
            #expect(values == ["a": 1, "c": 3])
            #expect(try await room.get([String](), as: Int.self).isEmpty)
        }
    }

    @Test("a Data value is stored raw (encoding 1, same bytes) and other values as JSON (encoding 0)")
    func dataIsStoredRaw() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("raw")
            let bytes = Data([0, 1, 2, 0xFF, 0xFE, 0x7B])
            try await room.put("blob", bytes)
            try await room.put("json", ["x": 1])
            #expect(try await room.get("blob", as: Data.self) == bytes)

            let rows = try #require(engine.sqlite).database.read { db in
                try Row.fetchAll(db, sql: "SELECT key, value, encoding FROM kv ORDER BY key")
            }
            #expect(rows.count == 2)
            let blob = try #require(rows.first { ($0["key"] as Data) == Data("blob".utf8) })
            #expect(blob["encoding"] as Int == 1)
            #expect(blob["value"] as Data == bytes)
            let json = try #require(rows.first { ($0["key"] as Data) == Data("json".utf8) })
            #expect(json["encoding"] as Int == 0)
            #expect(String(decoding: json["value"] as Data, as: UTF8.self) == #"{"x":1}"#)

            // Raw bytes are not JSON: reading them as another type says how they were stored.
            await expectStorageError(.decodingFailed(key: "blob", description: "it was stored as raw bytes (Data), not as String")) {
                () async throws(StorageError) in try await room.get("blob", as: String.self)
            }
        }
    }

    @Test("reading a value as a type it was not written as fails with decodingFailed")
    func decodingFailure() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("types")
            try await room.put("n", 7)
            do {
                _ = try await room.get("n", as: [String].self)
                Issue.record("expected decodingFailed")
            } catch let error as StorageError {
                guard case .decodingFailed(let key, _) = error else {
                    Issue.record("expected decodingFailed, got \(error)")
                    return
                }
                #expect(key == "n")
            }
        }
    }

    @Test("delete reports whether the key existed; deleting several counts the existing ones")
    func deleteReportsExistence() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("delete")
            try await room.put(["a": 1, "b": 2, "c": 3])
            #expect(try await room.delete("a") == true)
            #expect(try await room.delete("a") == false)
            #expect(try await room.get("a", as: Int.self) == nil)
            #expect(try await room.delete(["b", "c", "zzz"]) == 2)
            #expect(try await room.list(as: Int.self).isEmpty)
        }
    }

    @Test("allowUnconfirmed writes are stored and readable like the others")
    func allowUnconfirmedWrites() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("unconfirmed")
            try await room.put("a", 1, allowUnconfirmed: true)
            try await room.put(["b": 2, "c": 3], allowUnconfirmed: true)
            #expect(try await room.delete("c", allowUnconfirmed: true))
            #expect(try await room.delete(["b"], allowUnconfirmed: true) == 1)
            #expect(try await room.list(as: Int.self) == ["a": 1])
            try await room.deleteAll(allowUnconfirmed: true)
            #expect(try await room.list(as: Int.self).isEmpty)
        }
    }

    @Test("rooms and servers are isolated: the same key in another room or server is another value")
    func roomsAreIsolated() async throws {
        try await StorageFixture.withEngine { engine, _ in
            try await engine.room("one").put("k", "one")
            try await engine.room("two").put("k", "two")
            try await engine.room("one", server: "other").put("k", "other")
            #expect(try await engine.room("one").get("k", as: String.self) == "one")
            #expect(try await engine.room("two").get("k", as: String.self) == "two")
            #expect(try await engine.room("one", server: "other").get("k", as: String.self) == "other")
            #expect(try await engine.room("three").get("k", as: String.self) == nil)
        }
    }

    @Test("deleteAll removes only this room's keys and leaves its alarm and snapshot")
    func deleteAllKeepsAlarmAndSnapshot() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("wipe")
            try await room.put(["a": 1, "b": 2])
            try await engine.room("neighbour").put("a", 9)
            let alarm = StoredAlarm(server: "main", room: "wipe", at: Date(timeIntervalSince1970: 1_700_000_000.123))
            try await engine.saveAlarm(alarm)
            try await engine.saveSnapshot(server: "main", room: "wipe", data: Data("snap".utf8))

            try await room.deleteAll()
            #expect(try await room.list(as: Int.self).isEmpty)
            #expect(try await engine.alarm(server: "main", room: "wipe") == alarm)
            #expect(try await engine.loadSnapshot(server: "main", room: "wipe") == Data("snap".utf8))
            #expect(try await engine.room("neighbour").get("a", as: Int.self) == 9)
        }
    }

    @Test("the operations of one submission apply in order")
    func operationsApplyInOrder() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("order")
            func put(_ key: String, _ value: Int) -> StorageOperation {
                .put(key: Data(key.utf8), value: Data("\(value)".utf8), encoding: .json)
            }
            let deleted = try await engine.submit(StorageSubmission(
                server: Data("main".utf8),
                room: Data("order".utf8),
                operations: [put("a", 1), put("b", 1), .deleteAll, put("a", 2), .delete(key: Data("a".utf8)), put("a", 3), .delete(key: Data("b".utf8))]
            ))
            #expect(deleted == 1)
            #expect(try await room.list(as: Int.self) == ["a": 3])
        }
    }

    // MARK: - Limits

    @Test("a key of exactly maxKeyBytes UTF-8 bytes is stored; one byte more fails and stores nothing")
    func keyLimit() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("keys")
            // Two-byte characters, so the limit is about bytes, not characters: 2 × 1023 + 2 bytes.
            let atLimit = String(repeating: "é", count: 1023) + "xy"
            #expect(atLimit.utf8.count == 2048)
            try await room.put(atLimit, 1)
            #expect(try await room.get(atLimit, as: Int.self) == 1)

            let over = atLimit + "z"
            await expectStorageError(.keyTooLarge(bytes: 2049, limit: 2048)) { () async throws(StorageError) in
                try await room.put(over, 2)
            }
            // A batch with one long key stores none of its entries.
            await expectStorageError(.keyTooLarge(bytes: 2049, limit: 2048)) { () async throws(StorageError) in
                try await room.put(["fine": 1, over: 2])
            }
            await expectStorageError(.keyTooLarge(bytes: 2049, limit: 2048)) { () async throws(StorageError) in
                try await room.get(over, as: Int.self)
            }
            #expect(try await room.list(as: Int.self) == [atLimit: 1])
        }
    }

    @Test("a value of exactly maxValueBytes encoded bytes is stored; one byte more fails and stores nothing")
    func valueLimit() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("values")
            let limit = 2 * 1024 * 1024
            try await room.put("raw", Data(repeating: 7, count: limit))
            #expect(try await room.get("raw", as: Data.self)?.count == limit)
            // JSON of a plain ASCII string is the string in quotes.
            let text = String(repeating: "a", count: limit - 2)
            try await room.put("json", text)
            #expect(try await room.get("json", as: String.self) == text)

            await expectStorageError(.valueTooLarge(key: "raw2", bytes: limit + 1, limit: limit)) { () async throws(StorageError) in
                try await room.put("raw2", Data(repeating: 7, count: limit + 1))
            }
            await expectStorageError(.valueTooLarge(key: "json2", bytes: limit + 1, limit: limit)) { () async throws(StorageError) in
                try await room.put("json2", text + "a")
            }
            await expectStorageError(.valueTooLarge(key: "big", bytes: limit + 1, limit: limit)) { () async throws(StorageError) in
                try await room.put(["small": Data([1]), "big": Data(count: limit + 1)])
            }
            #expect(try await room.get(["raw2", "small", "big"], as: Data.self).isEmpty)
            #expect(try await room.get("json2", as: String.self) == nil)
        }
    }
}
