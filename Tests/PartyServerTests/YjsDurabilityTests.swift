import Foundation
import GRDB
import PartyServer
import PartyServerTesting
import PartyYjs
import Synchronization
import Testing

/// A `YServer` room's document in storage: compaction, restarts, hibernation and `onSave`.
@Suite("Yjs durability")
struct YjsDurabilityTests {
    let protocolTests = YjsProtocolTests()

    /// The keys stored for `server/room` in the database of `dataDirectory`.
    func storedKeys(_ dataDirectory: String, server: String, room: String) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: dataDirectory + "/rooms.sqlite", configuration: configuration)
        defer { try? database.close() }
        return try database.read { db in
            try Data.fetchAll(db, sql: "SELECT key FROM kv WHERE server = ? AND room = ? ORDER BY key", arguments: [server, room])
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test("past the threshold, stored updates become one snapshot, and the document is whole after a restart")
    func compaction() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("yc")
        let path = "/parties/ynotes/\(name)"
        let letters = Array("abcdefghijkl")
        var expected = YDocumentState()
        try await withDurableServer(dataDirectory: directory) { server in
            let (writer, _) = try await protocolTests.join(server, path)
            let (reader, _) = try await protocolTests.join(server, path)
            for (index, letter) in letters.enumerated() {
                let update = YjsWire.insert(String(letter), client: 5, clock: UInt64(index))
                try expected.apply(update)
                try await writer.send(binary: YjsWire.sync(2, update))
                #expect(try await reader.nextBinary() == YjsWire.sync(2, update))
            }
        }
        let keys = try storedKeys(directory, server: "ynotes", room: name)
        // 12 updates with a threshold of 5: compacted after the 6th and the 12th.
        #expect(keys == ["yjs/doc/000000"], "\(keys)")
        try await withDurableServer(dataDirectory: directory) { server in
            let (reader, vector) = try await protocolTests.join(server, path)
            #expect(vector == YStateVector([5: 12]))
            #expect(try await protocolTests.step2(reader) == expected.encode())
        }
    }

    @Test("compaction is due past the count or byte threshold, but a large snapshot is not rewritten for a few small edits")
    func compactionRule() {
        let options = YjsOptions(compactAfterUpdates: 500, compactAfterBytes: 1 << 20)
        #expect(!options.shouldCompact(updates: 500, bytes: 10_000, snapshotBytes: 0))
        #expect(options.shouldCompact(updates: 501, bytes: 10_000, snapshotBytes: 0))
        #expect(options.shouldCompact(updates: 3, bytes: (1 << 20) + 1, snapshotBytes: 0))
        // A 50 MB snapshot waits for 6.25 MB of updates, or for 20 times the count.
        #expect(!options.shouldCompact(updates: 501, bytes: 10_000, snapshotBytes: 50_000_000))
        #expect(options.shouldCompact(updates: 501, bytes: 6_250_000, snapshotBytes: 50_000_000))
        #expect(options.shouldCompact(updates: 10_020, bytes: 100_000, snapshotBytes: 50_000_000))
        #expect(!YjsOptions(compactAfterUpdates: .max).shouldCompact(updates: .max, bytes: 1 << 19, snapshotBytes: 1 << 30))
    }

    @Test("updates after the last compaction are kept one by one and replayed on start")
    func updatesAfterCompaction() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("yc")
        let path = "/parties/ynotes/\(name)"
        try await withDurableServer(dataDirectory: directory) { server in
            let (writer, _) = try await protocolTests.join(server, path)
            let (reader, _) = try await protocolTests.join(server, path)
            for index in 0..<8 {
                let update = YjsWire.insert("x", client: 6, clock: UInt64(index))
                try await writer.send(binary: YjsWire.sync(2, update))
                #expect(try await reader.nextBinary() == YjsWire.sync(2, update))
            }
        }
        let keys = try storedKeys(directory, server: "ynotes", room: name)
        #expect(keys.filter { $0.hasPrefix("yjs/doc/") }.count == 1)
        #expect(keys.filter { $0.hasPrefix("yjs/u/") }.count == 2, "\(keys)")
        try await withDurableServer(dataDirectory: directory) { server in
            let (_, vector) = try await protocolTests.join(server, path)
            #expect(vector == YStateVector([6: 8]))
        }
    }

    @Test("an update larger than a snapshot chunk is stored by compacting at once, in several chunks, and reads back whole")
    func largeUpdate() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("yl")
        let path = "/parties/ynotes/\(name)"
        let big = YjsWire.insert(String(repeating: "0123456789", count: 300), client: 12)
        try await withDurableServer(dataDirectory: directory) { server in
            let (writer, _) = try await protocolTests.join(server, path)
            let (reader, _) = try await protocolTests.join(server, path)
            try await writer.send(binary: YjsWire.sync(2, big))
            #expect(try await reader.nextBinary() == YjsWire.sync(2, big))
        }
        let keys = try storedKeys(directory, server: "ynotes", room: name)
        #expect(keys == ["yjs/doc/000000", "yjs/doc/000001", "yjs/doc/000002"], "\(keys)")
        try await withDurableServer(dataDirectory: directory) { server in
            let (reader, vector) = try await protocolTests.join(server, path)
            #expect(vector == YStateVector([12: 3000]))
            #expect(try await protocolTests.step2(reader) == big)
        }
    }

    @Test("the document and awareness outlive hibernation; updates and awareness removals keep flowing")
    func hibernation() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("yh")
        let path = "/parties/yjs/\(name)"
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let (alice, _) = try await protocolTests.join(server, path)
            let (bob, _) = try await protocolTests.join(server, path)
            let hello = YjsWire.awareness(client: 21, clock: 3, state: #"{"user":"alice"}"#)
            try await alice.send(binary: hello)
            #expect(try await alice.nextBinary() == hello)
            #expect(try await bob.nextBinary() == hello)
            try await alice.send(binary: YjsWire.sync(2, YjsWire.insert("before", client: 21)))
            _ = try await bob.nextBinary()
            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("yjs", name) == .hibernated }
            let after = YjsWire.sync(2, YjsWire.insert("!", client: 21, clock: 6))
            try await alice.send(binary: after)
            #expect(try await bob.nextBinary() == after)
            try await advance(clock, by: .seconds(11), until: "the room hibernated again") { server.state("yjs", name) == .hibernated }
            let (carol, vector) = try await protocolTests.join(server, path)
            #expect(vector == YStateVector([21: 7]))
            #expect(try await carol.nextBinary() == hello)
            try await advance(clock, by: .seconds(11), until: "the room hibernated a third time") { server.state("yjs", name) == .hibernated }
            try await alice.close()
            let gone = YjsWire.awareness(client: 21, clock: 4, state: "null")
            #expect(try await bob.nextBinary() == gone)
            #expect(try await carol.nextBinary() == gone)
        }
    }

    @Test("onSave gets the whole document once changes pause for the debounce time, or at the latest after the maximum wait")
    func debouncedSave() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("ys")
        let path = "/parties/ynotes/\(name)"
        func saves() -> [[UInt8]] { YjsNotes.saves.withLock { $0[name] ?? [] } }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let (writer, _) = try await protocolTests.join(server, path)
            let (reader, _) = try await protocolTests.join(server, path)
            var clockValue: UInt64 = 0
            func write() async throws {
                let update = YjsWire.sync(2, YjsWire.insert("y", client: 8, clock: clockValue))
                clockValue += 1
                try await writer.send(binary: update)
                #expect(try await reader.nextBinary() == update)
            }
            try await write()
            #expect(saves().isEmpty)
            try await advance(clock, by: .milliseconds(500), until: "onSave ran after the pause") { !saves().isEmpty }
            #expect(try YUpdates.stateVector(of: saves()[0]) == YStateVector([8: 1]))
            // Changes every second never pause for 2 s: the save comes from the 10 s maximum.
            for _ in 0..<12 where saves().count == 1 {
                try await write()
                clock.advance(by: .seconds(1))
            }
            try await waitUntil(timeout: .seconds(10), "onSave ran within the maximum wait") { saves().count == 2 }
            let vector = try YUpdates.stateVector(of: saves()[1])
            #expect(vector[8] >= 10 && vector[8] <= 12, "\(vector)")
        }
    }
}
