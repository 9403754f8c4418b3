import Foundation
@testable import PartyRuntime
import PartyServer
import Testing

/// An actor whose state a storage transaction body changes, to check the body runs on it.
private actor Tally {
    let storage: RoomStorage
    var count = 0

    init(storage: RoomStorage) { self.storage = storage }

    func increment() async throws -> Int? {
        try await storage.transaction { transaction in
            count += 1
            let stored: Int = try await transaction.get("count") ?? 0
            try transaction.put("count", stored + 1)
            return try await transaction.get("count", as: Int.self)
        }
    }
}

private struct Abort: Error {}

extension StorageTests {
    @Test("a transaction's writes are committed together as one submission when its body returns")
    func transactionCommits() async throws {
        let counter = CommitCounter()
        try await StorageFixture.withEngine(onCommit: counter.observer) { engine, _ in
            let room = engine.room("txn")
            try await room.put(["old": 1, "gone": 2])
            let before = counter.submissions
            let result = try await room.transaction { transaction in
                try transaction.put("a", 10)
                try transaction.put(["b": 20, "c": 30])
                #expect(try await transaction.delete("gone"))
                return "done"
            }
            #expect(result == "done")
            #expect(counter.submissions == before + 1)
            #expect(try await room.list(as: Int.self) == ["a": 10, "b": 20, "c": 30, "old": 1])
        }
    }

    @Test("a transaction whose body throws writes nothing and rethrows the error")
    func transactionRollsBackOnThrow() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("txn")
            try await room.put("a", 1)
            await #expect(throws: Abort.self) {
                try await room.transaction { transaction in
                    try transaction.put("a", 2)
                    try transaction.put("b", 3)
                    try transaction.deleteAll()
                    throw Abort()
                }
            }
            #expect(try await room.list(as: Int.self) == ["a": 1])
        }
    }

    @Test("a transaction that calls rollback writes nothing, and the transaction is unusable afterwards")
    func transactionRollback() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("txn")
            try await room.put("a", 1)
            let value = try await room.transaction { transaction in
                try transaction.put("a", 2)
                transaction.rollback()
                #expect(throws: StorageError.transactionEnded) { try transaction.put("b", 3) }
                await #expect(throws: StorageError.transactionEnded) { try await transaction.get("a", as: Int.self) }
                return 7
            }
            #expect(value == 7)
            #expect(try await room.list(as: Int.self) == ["a": 1])
        }
    }

    @Test("a transaction that fails validation inside its body writes nothing")
    func transactionValidationFailure() async throws {
        try await StorageFixture.withEngine(StorageConfiguration(maxValueBytes: 8)) { engine, _ async throws in
            let room = engine.room("txn")
            await #expect(throws: StorageError.valueTooLarge(key: "big", bytes: 12, limit: 8)) {
                try await room.transaction { transaction in
                    try transaction.put("small", 1)
                    try transaction.put("big", "0123456789")
                }
            }
            #expect(try await room.list(as: Int.self).isEmpty)
        }
    }

    @Test("a transaction reads its own puts, deletes and deleteAll through get, get many and list")
    func transactionReadsOwnWrites() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("txn")
            try await room.put(["a": 1, "b": 2, "c": 3, "x": 9])
            try await room.transaction { transaction in
                try transaction.put("b", 20)
                #expect(try await transaction.delete("c"))
                #expect(try await transaction.delete("c") == false)
                try transaction.put("d", 4)
                #expect(try await transaction.get("b", as: Int.self) == 20)
                #expect(try await transaction.get("c", as: Int.self) == nil)
                #expect(try await transaction.get(["a", "b", "c", "d"], as: Int.self) == ["a": 1, "b": 20, "d": 4])
                #expect(try await transaction.list(as: Int.self) == ["a": 1, "b": 20, "d": 4, "x": 9])
                #expect(try await transaction.list(end: "x", limit: 2, reverse: true, as: Int.self) == ["d": 4, "b": 20])
                #expect(try await transaction.list(startAfter: "a", limit: 2, as: Int.self) == ["b": 20, "d": 4])
                #expect(try await transaction.delete(["a", "zz", "d"]) == 2)
                #expect(try await transaction.list(as: Int.self) == ["b": 20, "x": 9])
                // Nothing is visible outside the transaction before it commits.
                #expect(try await room.list(as: Int.self) == ["a": 1, "b": 2, "c": 3, "x": 9])

                try transaction.deleteAll()
                #expect(try await transaction.list(as: Int.self).isEmpty)
                #expect(try await transaction.get("x", as: Int.self) == nil)
                try transaction.put("e", 5)
                #expect(try await transaction.list(prefix: "e", as: Int.self) == ["e": 5])
                #expect(try await transaction.get(["e", "x"], as: Int.self) == ["e": 5])
            }
            #expect(try await room.list(as: Int.self) == ["e": 5])
        }
    }

    @Test("a transaction body runs on the calling actor and may change its state")
    func transactionRunsOnCallerActor() async throws {
        try await StorageFixture.withEngine { engine, _ async throws in
            let tally = Tally(storage: engine.room("tally"))
            #expect(try await tally.increment() == 1)
            #expect(try await tally.increment() == 2)
            #expect(await tally.count == 2)
            #expect(try await engine.room("tally").get("count", as: Int.self) == 2)
        }
    }

    @Test("a transaction used after its body returned throws transactionEnded")
    func transactionUsedAfterEnd() async throws {
        try await StorageFixture.withEngine { engine, _ in
            let room = engine.room("txn")
            var escaped: StorageTransaction?
            try await room.transaction { transaction in
                escaped = transaction
                try transaction.put("a", 1)
            }
            let transaction = try #require(escaped)
            #expect(throws: StorageError.transactionEnded) { try transaction.put("b", 2) }
            #expect(try await room.list(as: Int.self) == ["a": 1])
        }
    }
}
