import Foundation
@testable import PartyRuntime
import PartyServer
import Testing

extension StorageTests {
    @Test("1,000 rooms putting at once: every put returns and is readable, in fewer transactions than puts")
    func groupCommit() async throws {
        let counter = CommitCounter()
        try await StorageFixture.withEngine(onCommit: counter.observer) { engine, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1000 {
                    group.addTask { try await engine.room("room-\(index)").put("value", index) }
                }
                try await group.waitForAll()
            }
            #expect(counter.submissions == 1000)
            #expect(counter.transactions < 1000)
            #expect(counter.transactions >= 1)
            for index in 0..<1000 {
                #expect(try await engine.room("room-\(index)").get("value", as: Int.self) == index)
            }
        }
    }

    @Test("a full database fails the write with .full, keeps earlier data, and accepts smaller writes after deleting")
    func fullDatabase() async throws {
        let configuration = StorageConfiguration(maxDatabaseBytes: 256 * 1024)
        try await StorageFixture.withEngine(configuration) { engine, _ in
            let room = engine.room("full")
            let chunk = 16 * 1024
            func value(_ index: Int) -> Data { Data(repeating: UInt8(index), count: chunk) }

            var stored = 0
            var failure: StorageError?
            while failure == nil, stored < 100 {
                do throws(StorageError) {
                    try await room.put("chunk-\(stored)", value(stored))
                    stored += 1
                } catch {
                    failure = error
                }
            }
            #expect(failure == .full)
            #expect(stored > 2)
            #expect(try await room.get("chunk-\(stored)", as: Data.self) == nil)
            for index in 0..<stored {
                #expect(try await room.get("chunk-\(index)", as: Data.self) == value(index))
            }

            // A write that does not fit fails alone: writes committed with it still succeed.
            #expect(try await room.delete(["chunk-0", "chunk-1"]) == 2)
            let big = Task { try await room.put("big", Data(count: 200 * 1024)) }
            let small = Task { try await engine.room("other").put("small", "fits") }
            await #expect(throws: StorageError.full) { try await big.value }
            try await small.value
            #expect(try await engine.room("other").get("small", as: String.self) == "fits")
            #expect(try await room.get("big", as: Data.self) == nil)

            try await room.put("after", Data(count: 4 * 1024))
            #expect(try await room.get("after", as: Data.self)?.count == 4 * 1024)
        }
    }

    @Test("in one commit round, a submission that does not fit fails with .full and the others still commit")
    func fullSubmissionFailsAlone() async throws {
        let counter = CommitCounter()
        try await StorageFixture.withEngine(StorageConfiguration(maxDatabaseBytes: 128 * 1024), onCommit: counter.observer) { engine, _ async throws in
            func submission(_ room: String, _ key: String, bytes: Int) -> StorageSubmission {
                StorageSubmission(
                    server: Data("main".utf8),
                    room: Data(room.utf8),
                    operations: [.put(key: Data(key.utf8), value: Data(repeating: 1, count: bytes), encoding: .raw)]
                )
            }
            let outcomes = await engine.writer.commit([
                submission("a", "small", bytes: 100),
                submission("b", "big", bytes: 512 * 1024),
                submission("c", "small", bytes: 100),
            ])
            #expect(try outcomes[0].get() == 0)
            #expect(outcomes[1] == .failure(.full))
            #expect(try outcomes[2].get() == 0)
            #expect(counter.transactions == 1)
            #expect(counter.submissions == 2)
            #expect(try await engine.room("a").get("small", as: Data.self)?.count == 100)
            #expect(try await engine.room("b").get("big", as: Data.self) == nil)
            #expect(try await engine.room("c").get("small", as: Data.self)?.count == 100)
        }
    }

    @Test("hostile room and server names are stored and read back, stay apart, and never reach the filesystem")
    func hostileNames() async throws {
        let names = [
            "..", "../../etc/passwd", "a/b", "%2F", "\u{0}", "a\u{0}b", "", "a", "/", ".",
            String(repeating: "x", count: 10_000), "C:\\x", "'; DROP TABLE kv; --", "é\u{301}",
        ]
        let workingDirectory = FileManager.default.currentDirectoryPath
        let existedBefore = Set(names.filter { !$0.isEmpty && FileManager.default.fileExists(atPath: workingDirectory + "/" + $0) })
        try await StorageFixture.withEngine { engine, fixture in
            for (index, name) in names.enumerated() {
                for server in ["main", name] {
                    try await engine.room(name, server: server).put("name", name)
                    try await engine.saveSnapshot(server: server, room: name, data: Data(name.utf8))
                    try await engine.saveAlarm(StoredAlarm(server: server, room: name, at: Date(timeIntervalSince1970: Double(index)), retryCount: index))
                }
            }
            for (index, name) in names.enumerated() {
                for server in ["main", name] {
                    let room = engine.room(name, server: server)
                    #expect(try await room.get("name", as: String.self) == name, "room \(name.debugDescription.prefix(40))")
                    #expect(try await room.list(as: String.self) == ["name": name])
                    #expect(try await engine.loadSnapshot(server: server, room: name) == Data(name.utf8))
                    #expect(try await engine.alarm(server: server, room: name)?.retryCount == index)
                }
            }
            let alarms = try await engine.loadAlarms()
            let expected = Set(names.flatMap { name in ["main|\(name)", "\(name)|\(name)"] })
            #expect(Set(alarms.map { "\($0.server)|\($0.room)" }) == expected)
            #expect(alarms.count == expected.count)

            await engine.close()
            let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory)
            #expect(files.contains("rooms.sqlite"))
            #expect(Set(files).isSubset(of: ["rooms.sqlite", "rooms.sqlite-wal", "rooms.sqlite-shm"]), "\(files)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.parent) == ["data"])
        }
        for name in names where !name.isEmpty && !existedBefore.contains(name) {
            #expect(!FileManager.default.fileExists(atPath: workingDirectory + "/" + name), "\(name.debugDescription)")
        }
    }
}
