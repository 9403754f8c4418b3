import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Output gate")
struct OutputGateTests {
    /// The storage engine and a room's gate of a running test server.
    private static func parts(_ server: PartyTestServer, _ name: String) throws -> (StorageEngine, OutputGate) {
        let registry = try #require(server.application.registry)
        let slot = try #require(registry.existingSlot(RoomKey(server: "notebook", name: name)))
        return (registry.services.engine, slot.room.gate)
    }

    @Test("messages a room sends after a write are held, in order, until the write commits")
    func holdsUntilDurable() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { server in
            let name = uniqueRoom("gate")
            let alice = try await server.webSocket("/parties/notebook/\(name)")
            let bob = try await server.webSocket("/parties/notebook/\(name)")
            try await alice.joined()
            try await bob.joined()
            let (engine, gate) = try Self.parts(server, name)

            engine.holdCommits()
            do {
                try await alice.send(text: "put:k=v")
                try await waitUntil("alice's write is pending") { !gate.isOpen }
                try await bob.send(text: "say:first")
                try await bob.send(text: "say:second")
                // Alice's acknowledgement, then each broadcast to both: all behind her write.
                try await waitUntil("the acknowledgement and both broadcasts are held") { gate.heldCount == 5 }
                // A pong is queued behind anything already sent: none of the held messages went out.
                try await bob.joined()
                try await alice.joined()
            } catch {
                engine.resumeCommits()
                throw error
            }
            engine.resumeCommits()
            #expect(try await alice.nextText() == "stored")
            #expect(try await alice.nextText() == "first")
            #expect(try await alice.nextText() == "second")
            #expect(try await bob.nextText() == "first")
            #expect(try await bob.nextText() == "second")
            #expect(gate.isOpen)
        }
    }

    @Test("a write with allowUnconfirmed does not hold the room's messages")
    func allowUnconfirmedOptsOut() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { server in
            let name = uniqueRoom("gate")
            let alice = try await server.webSocket("/parties/notebook/\(name)")
            let bob = try await server.webSocket("/parties/notebook/\(name)")
            try await alice.joined()
            try await bob.joined()
            let (engine, gate) = try Self.parts(server, name)

            engine.holdCommits()
            do {
                try await alice.send(text: "put-unconfirmed:v")
                #expect(try await alice.nextText() == "stored")
                try await bob.send(text: "say:not-held")
                #expect(try await bob.nextText() == "not-held")
                #expect(try await alice.nextText() == "not-held")
                #expect(gate.isOpen)
                #expect(gate.heldCount == 0)
            } catch {
                engine.resumeCommits()
                throw error
            }
            engine.resumeCommits()
        }
    }
}
