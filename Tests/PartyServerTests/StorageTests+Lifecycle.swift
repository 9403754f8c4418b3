import Foundation
import GRDB
@testable import PartyRuntime
import PartyServer
import Testing

extension StorageTests {
    // MARK: - Snapshots and alarms

    @Test("snapshots are saved, replaced, loaded and deleted per room")
    func snapshots() async throws {
        try await StorageFixture.withEngine { engine, _ in
            #expect(try await engine.loadSnapshot(server: "main", room: "s") == nil)
            try await engine.saveSnapshot(server: "main", room: "s", data: Data([1, 2]))
            try await engine.saveSnapshot(server: "main", room: "s", data: Data([3]))
            try await engine.saveSnapshot(server: "main", room: "t", data: Data([4]))
            #expect(try await engine.loadSnapshot(server: "main", room: "s") == Data([3]))
            try await engine.deleteSnapshot(server: "main", room: "s")
            #expect(try await engine.loadSnapshot(server: "main", room: "s") == nil)
            #expect(try await engine.loadSnapshot(server: "main", room: "t") == Data([4]))
        }
    }

    @Test("alarms are saved to the millisecond, replaced, listed and deleted per room")
    func alarms() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let first = StoredAlarm(server: "main", room: "a", at: Date(timeIntervalSince1970: 1_700_000_000.1234), retryCount: 0)
            #expect(first.at == Date(timeIntervalSince1970: 1_700_000_000.123))
            let second = StoredAlarm(server: "other", room: "b", at: Date(timeIntervalSince1970: 5), retryCount: 3)
            #expect(try await engine.alarm(server: "main", room: "a") == nil)
            try await engine.saveAlarm(first)
            try await engine.saveAlarm(second)
            #expect(try await engine.alarm(server: "main", room: "a") == first)

            var replaced = first
            replaced.retryCount = 2
            replaced.at = Date(timeIntervalSince1970: 1_800_000_000)
            try await engine.saveAlarm(replaced)
            let all = try await engine.loadAlarms().sorted { $0.room < $1.room }
            #expect(all == [replaced, second])

            try await engine.deleteAlarm(server: "main", room: "a")
            #expect(try await engine.alarm(server: "main", room: "a") == nil)
            #expect(try await engine.loadAlarms() == [second])
        }
    }

    // MARK: - Engine

    @Test("an engine without a directory keeps everything in memory")
    func inMemoryEngine() async throws {
        let engine = try StorageEngine(directory: nil, logger: StorageFixture.logger)
        let room = engine.room("memory")
        try await room.put("k", "v")
        #expect(try await room.get("k", as: String.self) == "v")
        #expect(engine.path == ":memory:")
        await engine.close()
    }

    @Test("durability .full sets synchronous=FULL on the writer, .normal sets NORMAL")
    func durabilityPragma() async throws {
        for (durability, expected) in [(StorageDurability.full, 2), (.normal, 1)] {
            try await StorageFixture.withEngine(StorageConfiguration(durability: durability)) { engine, _ in
                let synchronous = try await #require(engine.sqlite).database.writeWithoutTransaction { db in
                    try Int.fetchOne(db, sql: "PRAGMA synchronous")
                }
                #expect(synchronous == expected, "durability \(durability)")
                let journal = try await #require(engine.sqlite).database.writeWithoutTransaction { db in
                    try String.fetchOne(db, sql: "PRAGMA journal_mode")
                }
                #expect(journal == "wal")
            }
        }
    }

    @Test("data, snapshots and alarms survive closing the engine and opening a new one on the directory")
    func restartKeepsData() async throws {
        let fixture = StorageFixture()
        defer { fixture.remove() }
        let alarm = StoredAlarm(server: "main", room: "r", at: Date(timeIntervalSince1970: 1_234_567.891), retryCount: 1)
        let first = try fixture.open()
        try await first.room("r").put(["a": "1", "b": "2"])
        try await first.room("bytes").put("blob", Data([9, 8]))
        try await first.saveSnapshot(server: "main", room: "r", data: Data("state".utf8))
        try await first.saveAlarm(alarm)
        await first.close()

        let second = try fixture.open()
        let room = second.room("r")
        #expect(try await room.get(["a", "b"], as: String.self) == ["a": "1", "b": "2"])
        #expect(try await second.room("bytes").get("blob", as: Data.self) == Data([9, 8]))
        #expect(try await second.loadSnapshot(server: "main", room: "r") == Data("state".utf8))
        #expect(try await second.loadAlarms() == [alarm])
        try await room.put("c", "3")
        #expect(try await room.list(as: String.self).keys.elements == ["a", "b", "c"])
        await second.close()
    }

    @Test("after close, reads and writes throw .closed, and close can be called again")
    func closeThenPutThrowsClosed() async throws {
        let fixture = StorageFixture()
        defer { fixture.remove() }
        let engine = try fixture.open()
        let room = engine.room("closing")
        try await room.put("k", 1)
        await engine.close()
        await expectStorageError(.closed) { () async throws(StorageError) in try await room.put("k", 2) }
        await expectStorageError(.closed) { () async throws(StorageError) in try await room.get("k", as: Int.self) }
        await expectStorageError(.closed) { () async throws(StorageError) in try await engine.saveAlarm(StoredAlarm(server: "m", room: "r", at: Date())) }
        await expectStorageError(.closed) { () async throws(StorageError) in try await engine.loadAlarms() }
        await engine.close()
    }

    @Test("close waits for writes that were already submitted")
    func closeWaitsForPendingWrites() async throws {
        let fixture = StorageFixture()
        defer { fixture.remove() }
        let engine = try fixture.open()
        let writes = (0..<50).map { index in
            Task { try await engine.room("r\(index)").put("k", index) }
        }
        // Close while the writes are being submitted and committed: each is either committed
        // before the database closes or refused with .closed, never lost after returning.
        await engine.close()
        var committed: [Int] = []
        for (index, write) in writes.enumerated() {
            do {
                try await write.value
                committed.append(index)
            } catch let error as StorageError {
                #expect(error == .closed)
            }
        }
        let reopened = try fixture.open()
        for index in committed {
            #expect(try await reopened.room("r\(index)").get("k", as: Int.self) == index)
        }
        await reopened.close()
    }
}
