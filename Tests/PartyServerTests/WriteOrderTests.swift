import Foundation
import Logging
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// Writes issued one after another on an actor, each from its own task, as hooks that
/// interleave at an `await` do.
private actor OrderedWriter {
    let storage: RoomStorage

    init(storage: RoomStorage) {
        self.storage = storage
    }

    /// Puts `count` values of very different sizes (so encoding them takes very different
    /// times), each from its own task started on this actor in order.
    func writeConcurrently(count: Int) async throws {
        var tasks: [Task<Void, any Error>] = []
        let large = String(repeating: "x", count: 256 * 1024)
        for sequence in 1...count {
            let value = Versioned(sequence: sequence, padding: sequence % 2 == 1 ? large : "")
            tasks.append(Task { try await self.storage.put("k", value) })
        }
        for task in tasks { try await task.value }
    }
}

/// A value that says which write it came from.
private struct Versioned: Codable, Sendable {
    var sequence: Int
    var padding: String
}

@Suite("Write order")
struct WriteOrderTests {
    @Test("a room's writes commit in the order its actor made them, even when they overlap")
    func writesKeepActorOrder() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "write-order")
        logger.logLevel = .error
        let engine = try StorageEngine(directory: directory, logger: logger)
        let writer = OrderedWriter(storage: engine.storage(server: "s", room: "r", gate: OutputGate()))
        for round in 1...5 {
            try await writer.writeConcurrently(count: 40)
            let stored = try await writer.storage.get("k", as: Versioned.self)
            #expect(stored?.sequence == 40, "round \(round)")
        }
        await engine.close()
    }

    @Test("ten clients incrementing one counter: the stored count equals the last count sent, after the room reloads it")
    func counterStoresLastAcknowledged() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let rooms = (0..<4).map { _ in uniqueRoom("order") }
            for room in rooms {
                var clients: [TestWebSocket] = []
                for _ in 0..<10 {
                    let client = try await server.webSocket("/parties/counter/\(room)")
                    _ = try await client.nextText()
                    clients.append(client)
                }
                for client in clients {
                    for _ in 0..<10 { try await client.send(text: "inc") }
                }
                for client in clients {
                    var seen = Set<String>()
                    for _ in 0..<100 { seen.insert(try await client.nextText()) }
                    #expect(seen == Set((1...100).map { "{\"count\":\($0)}" }))
                }
            }
            for room in rooms {
                // Its clients are gone (closed when the loop above dropped them): it hibernates and leaves memory.
                try await advance(clock, by: .seconds(11), until: "\(room) left memory") { server.state("counter", room) == .absent }
                let stored = try await server.request("GET", "/parties/counter/\(room)").text
                #expect(stored == #"{"count":100}"#, "\(room)")
            }
        }
    }
}
