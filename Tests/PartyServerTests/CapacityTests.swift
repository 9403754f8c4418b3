import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Capacity and matchmaking")
struct CapacityTests {
    private func withArena(clock: ManualClock? = nil, _ body: (PartyTestServer) async throws -> Void) async throws {
        var configuration = PartyConfiguration()
        configuration.control.apiKey = controlKey
        if let clock { configuration.clock = clock }
        let server = try await PartyTestServer.start(configuration: configuration) { app in
            try app.register(Arena.self)
            try app.register(Duel.self)
        }
        try await server.shuttingDown(after: body)
    }

    /// Opens a WebSocket, or returns the status of a refused upgrade.
    private func join(_ server: PartyTestServer, _ path: String) async throws -> Result<TestWebSocket, RefusedUpgrade> {
        do {
            return .success(try await server.webSocket(path))
        } catch TestWebSocketError.upgradeRejected(let status, _, let body) {
            return .failure(RefusedUpgrade(status: status, body: body))
        }
    }


    private func roomEntry(_ server: PartyTestServer, _ type: String, _ name: String) async throws -> JSONValue? {
        let list = try JSONValue.parse(try await server.control("GET", "/rooms?server=\(type)").text)
        return list["rooms"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    @Test("11 clients racing for a 10-seat room: exactly 10 are admitted, the room locks when full and unlocks when a seat frees")
    func raceForSeats() async throws {
        try await withArena { server in
            let outcomes = try await withThrowingTaskGroup(of: Result<TestWebSocket, RefusedUpgrade>.self) { group in
                for _ in 0..<11 { group.addTask { try await join(server, "/parties/arena/final") } }
                var outcomes: [Result<TestWebSocket, RefusedUpgrade>] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let seated = outcomes.compactMap { try? $0.get() }
            let refused = outcomes.compactMap { if case .failure(let refusal) = $0 { refusal } else { nil } }
            #expect(seated.count == 10)
            #expect(refused.count == 1 && refused.first?.status == 503 && refused.first?.body.contains("room full") == true)
            for socket in seated { _ = try await socket.nextText() }
            #expect(try await roomEntry(server, "arena", "final")?["locked"] == true)
            #expect(try await roomEntry(server, "arena", "final")?["connections"] == 10)

            try await seated[0].close()
            try await eventually("a seat freed", timeout: .seconds(10), interval: .milliseconds(10)) {
                try await roomEntry(server, "arena", "final")?["locked"] == false ? .done(()) : .pending("locked")
            }
            let latecomer = try #require(try? await join(server, "/parties/arena/final").get())
            #expect(try await latecomer.nextText() == "seated 10")
            #expect(try await join(server, "/parties/arena/final").failureStatus == 503)
        }
    }

    @Test("room.lock() refuses newcomers with free seats until unlock(); metadata is set by the room and listed")
    func lockAndMetadata() async throws {
        try await withArena { server in
            let host = try await server.webSocket("/parties/arena/lobby")
            #expect(try await host.nextText() == "seated 1")
            try await host.send(text: "lock")
            #expect(try await host.nextText() == "locked=true metadata=-")
            #expect(try await join(server, "/parties/arena/lobby").failureStatus == 503)
            try await host.send(text: "set-mode")
            #expect(try await host.nextText() == #"locked=true metadata={"map":"dust","mode":"duel"}"#)
            #expect(try await roomEntry(server, "arena", "lobby")?["metadata"]?["mode"] == "duel")
            try await host.send(text: "unlock")
            #expect(try await host.nextText() == #"locked=false metadata={"map":"dust","mode":"duel"}"#)
            let guest = try #require(try? await join(server, "/parties/arena/lobby").get())
            #expect(try await guest.nextText() == "seated 2")
        }
    }

    @Test("matchmaking fills a room with reserved seats, then creates another; a reserved seat admits its client and expires after 15 s")
    func matchmaking() async throws {
        let clock = ManualClock()
        try await withArena(clock: clock) { server in
            let first = try await server.connect(["server": "duel", "metadata": ["mode": "duel"]], path: "/match")
            let second = try await server.connect(["server": "duel", "metadata": ["mode": "duel"]], path: "/match")
            let third = try await server.connect(["server": "duel", "metadata": ["mode": "duel"]], path: "/match")
            let name = try #require(first["name"]?.stringValue)
            #expect(first["spawned"] == true && second["spawned"] == false && second["name"]?.stringValue == name)
            #expect(third["spawned"] == true && third["name"]?.stringValue != name)
            let seat = try #require(first["seat"]?.stringValue)
            #expect(first["url"]?.stringValue == "ws://127.0.0.1:\(server.port)/parties/duel/\(name)?seat=\(seat)")
            #expect(first["seat_expires_at"]?.stringValue != nil)
            let other = try await server.connect(["server": "duel", "metadata": ["mode": "ranked"]], path: "/match")
            #expect(other["spawned"] == true && other["name"] != first["name"] && other["name"] != third["name"])

            // Both seats of the first room are reserved: a client without a seat is refused, one with it is admitted.
            #expect(try await join(server, "/parties/duel/\(name)").failureStatus == 503)
            let seated = try #require(try? await join(server, "/parties/duel/\(name)?seat=\(seat)").get())
            #expect(try await join(server, "/parties/duel/\(name)?seat=\(seat)").failureStatus == 503)  // used up
            #expect(try await roomEntry(server, "duel", name)?["reserved_seats"] == 1)
            // The second reservation expires after 15 s: its seat is free again.
            clock.advance(by: .seconds(16))
            #expect(try await roomEntry(server, "duel", name)?["reserved_seats"] == 0)
            let latecomer = try #require(try? await join(server, "/parties/duel/\(name)").get())
            #expect(try await roomEntry(server, "duel", name)?["locked"] == true)
            for socket in [seated, latecomer] { try await socket.close() }

            let refused = try await server.control("POST", "/match", json: ["server": "duel", "metadata": "not an object"])
            #expect(refused.status == 400)
        }
    }
}

/// An upgrade the server refused: its status and body.
struct RefusedUpgrade: Error {
    var status: Int
    var body: String
}

extension Result where Failure == RefusedUpgrade {
    /// The status of a refused upgrade, if it was refused.
    var failureStatus: Int? {
        guard case .failure(let refusal) = self else { return nil }
        return refusal.status
    }
}
