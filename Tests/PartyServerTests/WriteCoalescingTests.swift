import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Write coalescing")
struct WriteCoalescingTests {
    /// The engine and the `notebook` room `name`'s slot of a running durable test server.
    private static func parts(_ server: PartyTestServer, _ type: String, _ name: String) throws -> (StorageEngine, RoomSlot) {
        let registry = try #require(server.application.registry)
        let slot = try #require(registry.existingSlot(RoomKey(server: type, name: name)))
        return (registry.services.engine, slot)
    }

    @Test("an event reads the writes of the events before it (and its own) at once, before they are committed")
    func readsWritesNotYetCommitted() async throws {
        try await PartyTestServer.withServer({ try $0.register(TallyRoom.self, as: "tally") }) { server in
            let name = uniqueRoom("coalesce")
            #expect(try await server.request("POST", "/parties/tally/\(name)").text == "1")
            let (engine, slot) = try Self.parts(server, "tally", name)
            engine.holdCommits()
            let first = Task { try await server.request("POST", "/parties/tally/\(name)").text }
            try await waitUntil("the first answer waits for its write") { slot.room.storage.durabilityWaiters == 1 }
            let second = Task { try await server.request("POST", "/parties/tally/\(name)").text }
            try await waitUntil("the second answer waits too") { slot.room.storage.durabilityWaiters == 2 }
            // The database still holds 1; the room's storage answers with the pending writes.
            #expect(try await engine.storage(server: "tally", room: name, gate: OutputGate()).get("count", as: Int.self) == 1)
            #expect(try await slot.room.storage.get("count", as: Int.self) == 3)
            engine.resumeCommits()
            #expect(try await first.value == "2")
            #expect(try await second.value == "3")
        }
    }

    @Test("the writes of one event commit together; those of events made while a commit waits share the next commit")
    func consecutiveEventsShareACommit() async throws {
        let counter = CommitCounter()
        try await StorageFixture.withEngine(onCommit: counter.observer) { engine, _ in
            let storage = engine.room("events")
            engine.holdCommits()
            for index in 0..<10 {
                storage.buffer.beginEvent()
                try await storage.put("a\(index)", index)
                try await storage.put("b\(index)", index)
                storage.buffer.endEvent()
            }
            // Nothing committed yet, and every write readable.
            #expect(counter.transactions == 0)
            #expect(try await storage.list(as: Int.self).count == 20)
            engine.resumeCommits()
            try await storage.sync()
            // Ten events, ten submissions (one per event), at most two commits: the first batch may
            // have been taken alone into the round that waited, the rest queued behind it.
            #expect((1...2).contains(counter.transactions))
            #expect(counter.submissions == 10)
            #expect(try await engine.room("events").list(as: Int.self).count == 20)
        }
    }

    @Test("an HTTP response waits until the writes its hook made are durable")
    func httpResponseWaitsForItsWrites() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { server in
            let name = uniqueRoom("gate")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=1")
            let (engine, slot) = try Self.parts(server, "scratch", name)
            let answered = Mutex(false)
            engine.holdCommits()
            let answer = Task {
                let text = try await server.request("POST", "/parties/scratch/\(name)").text
                answered.withLock { $0 = true }
                return text
            }
            try await waitUntil("the response waits for the write") { slot.room.storage.durabilityWaiters == 1 }
            #expect(!answered.withLock { $0 })
            engine.resumeCommits()
            #expect(try await answer.value == "memory=2 stored=2")
        }
    }

    @Test("storage calls made outside any event (a room's own task) are durable when they return")
    func writesOutsideEventsAreDurableOnReturn() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { server in
            let name = uniqueRoom("outside")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=1")
            let (engine, slot) = try Self.parts(server, "scratch", name)
            try await slot.room.storage.put("from-a-task", 7)
            let reader = engine.storage(server: "scratch", room: name, gate: OutputGate())
            #expect(try await reader.get("from-a-task", as: Int.self) == 7)
            try await slot.room.setAlarm(at: Date(timeIntervalSinceNow: 3600))
            #expect(try await engine.alarm(server: "scratch", room: name) != nil)
        }
    }
}
