import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// Read-modify-write hooks under concurrent events: the input gate keeps every update.
@Suite("No lost updates")
struct LostUpdateTests {
    /// Registers the README's `Notes` as `notes` and the `Tally` room.
    private static func register(_ app: PartyApplication) throws {
        try app.register(ReadmeNotes.self, as: "notes")
        try app.register(TallyRoom.self, as: "tally")
    }

    /// The count stored for `room`, read from the database (not from any room's memory).
    private static func storedCount(_ server: PartyTestServer, _ type: String, _ room: String) async throws -> Int? {
        let engine = try #require(server.application.registry?.services.engine)
        return try await engine.storage(server: type, room: room, gate: OutputGate()).get("count", as: Int.self)
    }

    /// Sends `perClient` messages from each of `clients` at once (each client pipelines its
    /// messages) and returns every acknowledgement received.
    private static func sendAtOnce(_ clients: [TestWebSocket], _ text: String, perClient: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for client in clients {
                group.addTask {
                    for _ in 0..<perClient { try await client.send(text: text) }
                    var acknowledgements: [String] = []
                    for _ in 0..<perClient { acknowledgements.append(try await client.nextText()) }
                    return acknowledgements
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    @Test("the README's Notes with 10 clients sending 100 messages each at once stores exactly 1,000, and every acknowledgement is distinct")
    func readmeNotesKeepsEveryUpdate() async throws {
        try await PartyTestServer.withServer(Self.register) { server in
            let room = uniqueRoom("notes")
            var clients: [TestWebSocket] = []
            for _ in 0..<10 { clients.append(try await server.webSocket("/parties/notes/\(room)")) }
            let acknowledgements = try await Self.sendAtOnce(clients, "x", perClient: 100)
            #expect(acknowledgements.count == 1000)
            #expect(Set(acknowledgements) == Set((1...1000).map { "saved \($0)" }))
            // Every acknowledgement was released only once its write was durable.
            #expect(try await Self.storedCount(server, "notes", room) == 1000)
        }
    }

    @Test("WebSocket messages, HTTP POSTs and a chain of alarms racing on one room keep every increment")
    func mixedEventsKeepEveryUpdate() async throws {
        try await PartyTestServer.withServer(Self.register) { server in
            let room = uniqueRoom("tally")
            let starter = try await server.webSocket("/parties/tally/\(room)")
            var clients: [TestWebSocket] = []
            for _ in 0..<5 { clients.append(try await server.webSocket("/parties/tally/\(room)")) }
            try await starter.send(text: "alarms:50")
            #expect(try await starter.nextText() == "alarms set")
            async let socketAcknowledgements = Self.sendAtOnce(clients, "inc", perClient: 50)
            let posts = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        var answers: [String] = []
                        for _ in 0..<20 { answers.append(try await server.request("POST", "/parties/tally/\(room)").text) }
                        return answers
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let messages = try await socketAcknowledgements.map { String($0.dropFirst(2)) }
            try await waitUntil("the 50 alarm runs finished") {
                try await server.request("GET", "/parties/tally/\(room)").text.hasSuffix("alarms 50")
            }
            let counts = (messages + posts).compactMap(Int.init)
            #expect(counts.count == 350)
            #expect(Set(counts).count == 350, "two events read the same count")
            #expect(counts.allSatisfy { (1...400).contains($0) })
            #expect(try await server.request("GET", "/parties/tally/\(room)").text == "count 400 alarms 50")
            #expect(try await Self.storedCount(server, "tally", room) == 400)
        }
    }

    @Test("Notes keeps every update across ten hibernations and wakes, with messages arriving while it hibernates")
    func updatesSurviveHibernation() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration()
        configuration.clock = clock
        try await PartyTestServer.withServer(configuration: configuration, Self.register) { server in
            let room = uniqueRoom("notes")
            var clients: [TestWebSocket] = []
            for _ in 0..<10 {
                let client = try await server.webSocket("/parties/notes/\(room)")
                try await client.joined()  // its onConnect ran: the room counts it before it hibernates
                clients.append(client)
            }
            var acknowledgements: [String] = []
            for round in 0..<10 {
                // Hibernate, then send the round's messages at once: the first wakes the room and
                // the others wait for the wake, in order.
                try await advance(clock, by: .seconds(11), until: "round \(round): the room hibernated") {
                    server.state("notes", room) == .hibernated
                }
                acknowledgements += try await Self.sendAtOnce(clients, "x", perClient: 10)
            }
            let metrics = try await server.request("GET", "/metrics").text
            #expect(MetricsTests.value(#"partyserver_hibernations_total{server="notes"}"#, in: metrics) == 10)
            #expect(MetricsTests.value(#"partyserver_wakes_total{server="notes"}"#, in: metrics) == 10)
            #expect(Set(acknowledgements) == Set((1...1000).map { "saved \($0)" }))
            #expect(try await Self.storedCount(server, "notes", room) == 1000)
        }
    }
}
