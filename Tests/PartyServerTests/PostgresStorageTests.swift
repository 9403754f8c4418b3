import Foundation
import Logging
@testable import PartyCluster
@testable import PartyRuntime
@testable import PartyServer
import PostgresNIO
import Testing

/// Room storage, snapshots, alarms, control records and worker accounts on a real PostgreSQL,
/// checked against the embedded SQLite engine doing the same operations.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct PostgresStorageTests {
    static let logger = PostgresTestDatabase.logger

    @Test func migrationsRunOnceWhenNodesStartTogether() async throws {
        let test = try await PostgresTestDatabase.create()
        let databases = try await withThrowingTaskGroup(of: ClusterDatabase.self) { group in
            for _ in 0..<3 { group.addTask { try await test.open() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let versions = try await databases[0].query("SELECT version FROM party_schema ORDER BY version")
            .map { try $0.decode(Int.self) }
        #expect(versions == Array(1...ClusterSchema.migrations.count))
        for database in databases { await database.close() }
        await test.drop()
    }

    @Test func valuesListsAndDeletesMatchSQLite() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let postgres = StorageEngine(backend: PostgresStorageBackend(database: database), logger: Self.logger)
            let sqlite = try StorageEngine(directory: nil, logger: Self.logger)
            let keys = ["a", "ab", "abc", "b", "é", "z", "\u{10348}", "user:1", "user:2", "user:10", ""]
            for engine in [postgres, sqlite] {
                let storage = engine.storage(server: "chat", room: "lobby", gate: OutputGate())
                for (index, key) in keys.enumerated() { try await storage.put(key, index) }
                let other = engine.storage(server: "chat", room: "other", gate: OutputGate())
                try await other.put("a", -1)
                try await other.put("bytes", Data([0, 1, 2, 255]))
            }
            let queries: [(prefix: String?, start: String?, startAfter: String?, end: String?, limit: Int?, reverse: Bool)] = [
                (nil, nil, nil, nil, nil, false), (nil, nil, nil, nil, nil, true), ("user:", nil, nil, nil, nil, false),
                ("a", nil, nil, nil, 2, true), (nil, "ab", nil, "z", nil, false), (nil, nil, "ab", nil, 3, false),
                (nil, nil, nil, "b", nil, true), ("nothing", nil, nil, nil, nil, false), (nil, nil, nil, nil, 0, false),
            ]
            for query in queries {
                var results: [[String]] = []
                for engine in [postgres, sqlite] {
                    let storage = engine.storage(server: "chat", room: "lobby", gate: OutputGate())
                    let listed = try await storage.list(
                        prefix: query.prefix, start: query.start, startAfter: query.startAfter, end: query.end,
                        limit: query.limit, reverse: query.reverse, as: Int.self
                    )
                    results.append(listed.keys.map { $0 })
                }
                #expect(results[0] == results[1], "list \(query)")
            }
            for engine in [postgres, sqlite] {
                let storage = engine.storage(server: "chat", room: "lobby", gate: OutputGate())
                #expect(try await storage.get("é", as: Int.self) == 4)
                #expect(try await engine.storage(server: "chat", room: "other", gate: OutputGate()).get("bytes", as: Data.self) == Data([0, 1, 2, 255]))
                #expect(try await storage.get(["a", "b", "missing"], as: Int.self) == ["a": 0, "b": 3])
                #expect(try await storage.delete("a") == true)
                #expect(try await storage.delete("a") == false)
                #expect(try await storage.delete(["b", "z", "missing"]) == 2)
                try await storage.deleteAll()
                #expect(try await storage.list(as: Int.self).isEmpty)
                #expect(try await engine.storage(server: "chat", room: "other", gate: OutputGate()).get("a", as: Int.self) == -1)
            }
            await postgres.close()
            await sqlite.close()
        }
    }

    @Test func snapshotsAlarmsControlRecordsAndWorkersSurviveReopening() async throws {
        let test = try await PostgresTestDatabase.create()
        let first = try await test.open()
        let engine = StorageEngine(backend: PostgresStorageBackend(database: first), logger: Self.logger)
        try await engine.saveSnapshot(server: "doc", room: "a", data: Data("state".utf8))
        let due = Date(timeIntervalSince1970: 2_000_000_000.5)
        try await engine.saveAlarm(StoredAlarm(server: "doc", room: "a", at: due, retryCount: 2))
        try await engine.submit(StorageSubmission(server: Data("doc".utf8), room: Data("a".utf8), operations: [.putControlRecord(Data("record".utf8))]))
        try await engine.storage(server: "doc", room: "a", gate: OutputGate()).put("title", "Plans")
        let workers = WorkerAccounts(engine: engine)
        let credentials = try await workers.create(name: "indexer")
        await engine.close()
        await first.close()

        let second = try await test.open()
        let reopened = StorageEngine(backend: PostgresStorageBackend(database: second), logger: Self.logger)
        #expect(try await reopened.loadSnapshot(server: "doc", room: "a") == Data("state".utf8))
        #expect(try await reopened.loadAlarms() == [StoredAlarm(server: "doc", room: "a", at: due, retryCount: 2)])
        #expect(try await reopened.alarm(server: "doc", room: "a")?.retryCount == 2)
        #expect(try await reopened.loadControlRecords().map { "\($0.server)/\($0.room)=\(String(decoding: $0.record, as: UTF8.self))" } == ["doc/a=record"])
        #expect(try await reopened.storage(server: "doc", room: "a", gate: OutputGate()).get("title", as: String.self) == "Plans")
        let accounts = WorkerAccounts(engine: reopened)
        #expect(try await accounts.authenticate(credentials)?.name == "indexer")
        #expect(try await accounts.revoke(id: credentials.id) == true)
        #expect(try await accounts.authenticate(credentials) == nil)
        #expect(try await accounts.list().map { $0.name } == ["indexer"])
        try await reopened.deleteSnapshot(server: "doc", room: "a")
        try await reopened.deleteAlarm(server: "doc", room: "a")
        #expect(try await reopened.loadSnapshot(server: "doc", room: "a") == nil)
        #expect(try await reopened.loadAlarms().isEmpty)
        await reopened.close()
        await second.close()
        await test.drop()
    }
}
