import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: limits")
struct ControlLimitTests {
    @Test("the lifetime limit closes connections with 4000 key_expired, ends the activation and releases the key")
    func lifetimeLimit() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock) { server in
            let answer = try await server.connect(["server": "session", "key": "timed", "spawn": ["lifetime_limit_seconds": 60, "max_idle_seconds": 600]])
            let name = try #require(answer["name"]?.stringValue)
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")
            try await waitForStatus(server, name, "ready")

            clock.advance(by: .seconds(59))
            try await socket.send(text: "still-here")
            #expect(try await socket.nextText() == "echo:still-here")
            #expect(try await server.roomStatus("session", name)["status"] == "ready")

            clock.advance(by: .seconds(2))
            let closed = try await socket.waitForClose()
            #expect(closed.code == 4000)
            #expect(closed.reason == "key_expired")
            try await waitForStatus(server, name, "terminated")
            #expect(try await server.roomStatus("session", name)["termination_reason"] == "key_expired")
            // onClose sees the code the client echoed.
            #expect(Recorder.shared.events(name).contains { $0.hasPrefix("close 4000") })
            #expect(try await server.control("POST", "/connect", json: ["server": "session", "key": "timed", "spawn": false]).status == 409)
            let next = try await server.connect(["server": "session", "key": "timed", "spawn": [:]])
            #expect(next["spawned"] == true)
            #expect(next["name"]?.stringValue != name)
        }
    }

    @Test("the idle limit ends a room only after max_idle_seconds without connections")
    func idleLimit() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock) { server in
            let answer = try await server.connect(["server": "session", "spawn": ["max_idle_seconds": 30]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            // Spawned rooms stay in memory while idle, even past their type's idle timeout (10 s).
            let registry = try #require(server.application.registry)
            let key = RoomKey(server: "session", name: name)
            try await waitUntil("the type's idle timer is armed") { registry.services.idleTimers.deadline(for: key) != nil }
            clock.advance(by: .seconds(20))
            try await waitUntil("the type's idle timer fired") { registry.services.idleTimers.deadline(for: key) == nil }
            #expect(server.state("session", name) == .live)
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")

            // With a connection open, the idle limit does not apply.
            clock.advance(by: .seconds(31))
            try await socket.send(text: "ping-1")
            #expect(try await socket.nextText() == "echo:ping-1")
            clock.advance(by: .seconds(31))
            try await socket.send(text: "ping-2")
            #expect(try await socket.nextText() == "echo:ping-2")
            #expect(try await server.roomStatus("session", name)["status"] == "ready")

            try await socket.close()
            try await waitUntil("onClose ran") { Recorder.shared.events(name).contains { $0.hasPrefix("close 1000") } }
            let closedAt = clock.now
            try await advance(clock, by: .seconds(2), until: "the idle limit ended the room") {
                try await server.roomStatus("session", name)["status"] == "terminated"
            }
            let ended = try await server.roomStatus("session", name)
            #expect(ended["termination_reason"] == "swept")
            let endedAt = try Date(ended["time"]?.stringValue ?? "", strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            #expect(endedAt >= closedAt.addingTimeInterval(30))
            #expect(endedAt <= closedAt.addingTimeInterval(62))
        }
    }

    @Test("a start that outlasts the startup timeout ends with startup_timeout")
    func startupTimeout() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock, configure: { $0.control.startupTimeout = .seconds(5) }) { server in
            let gate = "never-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["gate": .string(gate)]]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "starting")
            clock.advance(by: .seconds(4))
            #expect(try await server.roomStatus("session", name)["status"] == "starting")
            try await advance(clock, by: .seconds(2), until: "the start timed out") {
                try await server.roomStatus("session", name)["status"] == "terminated"
            }
            #expect(try await server.roomStatus("session", name)["termination_reason"] == "startup_timeout")
            let socket = try await server.webSocket(answer: answer)
            // The next connection starts a new activation, whose onStart waits on the same gate.
            try await waitForStatus(server, name, "starting")
            await TestGates.shared.gate(gate).open()
            #expect(try await socket.nextText() == "hello - -")
            try await waitForStatus(server, name, "ready")
            let stream = try await server.statusStream("session", name)
            try await waitUntil("the replay arrived") { stream.events.count == 4 }
            #expect(stream.events.first?.id == "2.1")
            stream.close()
        }
    }

    @Test("env reaches the room as room.env and is kept when the room is reached again")
    func environment() async throws {
        try await withControlServer { server in
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["region": "eu", "tier": "gold"]]])
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")
            try await socket.send(text: "env")
            #expect(try await socket.nextText() == "region=eu;tier=gold")
        }
    }
}
