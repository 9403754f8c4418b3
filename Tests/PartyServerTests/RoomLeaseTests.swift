import Foundation
import Logging
@testable import PartyCluster
@testable import PartyRuntime
import PostgresNIO
import Synchronization
import Testing

/// Room leases and fencing tokens on a real PostgreSQL: one holder, raised tokens, stale
/// owners' writes refused in the database, and self-fencing on the node's own clock.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct RoomLeaseTests {
    static let logger = PostgresTestDatabase.logger

    /// A node's view of the cluster: its leases and its fenced storage.
    struct Node {
        let leases: RoomLeases
        let engine: StorageEngine

        init(_ id: String, _ database: ClusterDatabase, duration: Duration = .seconds(10), elapsed: (@Sendable () -> Duration)? = nil) {
            leases = RoomLeases(nodeID: id, duration: duration, database: database, logger: RoomLeaseTests.logger, elapsed: elapsed)
            engine = StorageEngine(backend: PostgresStorageBackend(database: database, leases: leases), logger: RoomLeaseTests.logger)
        }

        func put(_ key: String, _ value: Int, room: String = "r") async throws {
            try await engine.storage(server: "s", room: room, gate: OutputGate()).put(key, value)
        }
    }

    /// Ends every lease of the room now, as if its holder had stopped renewing it.
    static func expire(_ database: ClusterDatabase, room: String = "r") async throws {
        try await database.query("UPDATE party_room_leases SET expires_at = now() - interval '1 second' WHERE room = \(room)")
    }

    /// `a` takes the leases of `lost` and `kept`; `lost`'s expires and `b` takes it over.
    static func takeOver(_ lost: String, keeping kept: String, from a: Node, to b: Node, in database: ClusterDatabase) async throws {
        _ = try await a.leases.acquire(server: "s", room: lost)
        _ = try await a.leases.acquire(server: "s", room: kept)
        try await expire(database, room: lost)
        _ = try await b.leases.acquire(server: "s", room: lost)
    }

    @Test func fiftyConcurrentAcquiresFromThreeNodesGiveOneHolder() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let nodes = ["a", "b", "c"].map { RoomLeases(nodeID: $0, duration: .seconds(10), database: database, logger: Self.logger) }
            let outcomes = try await withThrowingTaskGroup(of: (String, RoomLeases.Acquisition).self) { group in
                for attempt in 0..<50 {
                    let node = nodes[attempt % 3]
                    group.addTask { (node.nodeID, try await node.acquire(server: "s", room: "new-room")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = Set(outcomes.compactMap { node, outcome -> String? in
                if case .acquired = outcome { return node } else { return nil }
            })
            #expect(winners.count == 1)
            let winner = try #require(winners.first)
            for (node, outcome) in outcomes where node != winner {
                #expect(outcome == .heldElsewhere(node: winner, address: nil))
            }
            #expect(nodes.filter { $0.token(server: "s", room: "new-room") != nil }.map(\.nodeID) == [winner])
        }
    }

    @Test func takeoverRaisesTheTokenAndTheOldOwnersWritesStoreNothing() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let a = Node("a", database), b = Node("b", database)
            #expect(try await a.leases.acquire(server: "s", room: "r") == .acquired(token: 1, previous: nil))
            try await a.put("k", 1)
            #expect(try await b.leases.acquire(server: "s", room: "r") == .heldElsewhere(node: "a", address: nil))
            try await Self.expire(database)
            #expect(try await b.leases.acquire(server: "s", room: "r") == .acquired(token: 2, previous: "a"))
            // `a` still believes it holds the lease: the database refuses its write.
            #expect(a.leases.token(server: "s", room: "r") == 1)
            await #expect(throws: StorageError.self) { try await a.put("k", 99) }
            let error = await #expect(throws: StorageError.self) { try await a.put("k", 98) }
            guard case .fenced? = error else { Issue.record("expected .fenced, got \(String(describing: error))"); return }
            #expect(try await b.engine.storage(server: "s", room: "r", gate: OutputGate()).get("k", as: Int.self) == 1)
            try await b.put("k", 3)
            #expect(try await b.engine.storage(server: "s", room: "r", gate: OutputGate()).get("k", as: Int.self) == 3)
            #expect(try await a.leases.renew() == [])
        }
    }

    @Test func renewalFindsLeasesTakenOver() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let a = Node("a", database), b = Node("b", database)
            try await Self.takeOver("r", keeping: "kept", from: a, to: b, in: database)
            #expect(try await a.leases.renew() == [RoomKey(server: "s", name: "r")])
            #expect(a.leases.token(server: "s", room: "r") == nil)
            #expect(a.leases.token(server: "s", room: "kept") == 1)
            try await a.put("k", 1, room: "kept")
        }
    }

    @Test func aNodeStopsWritingWhenItsLeaseIsTooOldToTrust() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let now = Mutex(Duration.zero)
            let a = Node("a", database, duration: .seconds(10)) { now.withLock { $0 } }
            _ = try await a.leases.acquire(server: "s", room: "r")
            try await a.put("k", 1)
            // No renewal for 9.5 s of this node's time: past `duration - margin` (10 s - 1 s).
            now.withLock { $0 = .milliseconds(9_500) }
            #expect(a.leases.token(server: "s", room: "r") == nil)
            let error = await #expect(throws: StorageError.self) { try await a.put("k", 2) }
            guard case .fenced? = error else { Issue.record("expected .fenced, got \(String(describing: error))"); return }
            // A renewal that reaches the database in time makes the lease usable again.
            #expect(try await a.leases.renew() == [])
            try await a.put("k", 3)
            #expect(try await a.engine.storage(server: "s", room: "r", gate: OutputGate()).get("k", as: Int.self) == 3)
        }
    }

    @Test func aRoundWithALostRoomStillCommitsTheOtherRooms() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let a = Node("a", database), b = Node("b", database)
            try await Self.takeOver("lost", keeping: "kept", from: a, to: b, in: database)
            // One commit round with a write of each room.
            let put = { (room: String, value: Int) in
                StorageSubmission(server: Data("s".utf8), room: Data(room.utf8), operations: [
                    .put(key: Data("k".utf8), value: Data("\(value)".utf8), encoding: .json),
                ])
            }
            let outcomes = await a.engine.writer.commit([put("lost", 1), put("kept", 2)])
            guard case .failure(.fenced) = outcomes[0] else { Issue.record("expected .fenced, got \(outcomes[0])"); return }
            guard case .success = outcomes[1] else { Issue.record("expected success, got \(outcomes[1])"); return }
            #expect(a.leases.token(server: "s", room: "lost") == nil)
            #expect(try await b.engine.storage(server: "s", room: "kept", gate: OutputGate()).get("k", as: Int.self) == 2)
            #expect(try await b.engine.storage(server: "s", room: "lost", gate: OutputGate()).get("k", as: Int.self) == nil)
        }
    }

    @Test func aReleasedLeaseIsFreeAtOnceAndItsTokenKeepsCounting() async throws {
        try await PostgresTestDatabase.with { database, _ async throws in
            let a = Node("a", database), b = Node("b", database)
            #expect(try await a.leases.acquire(server: "s", room: "r") == .acquired(token: 1, previous: nil))
            await a.leases.release(server: "s", room: "r")
            #expect(try await b.leases.acquire(server: "s", room: "r") == .acquired(token: 2, previous: "a"))
            await b.leases.releaseAll()
            #expect(try await a.leases.acquire(server: "s", room: "r") == .acquired(token: 3, previous: "b"))
            let error = await #expect(throws: StorageError.self) { try await b.put("k", 1) }
            guard case .fenced? = error else { Issue.record("expected .fenced, got \(String(describing: error))"); return }
        }
    }
}
