import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: terminate")
struct ControlTerminateTests {
    @Test("soft terminate closes every connection with 1001 after onClose, writes the final snapshot, and storage outlives it")
    func softTerminate() async throws {
        try await withControlServer { server in
            let answer = try await server.connect(["server": "session", "spawn": [:]])
            let name = try #require(answer["name"]?.stringValue)
            let alice = try await server.webSocket(answer: answer)
            let bob = try await server.webSocket(answer: answer)
            #expect(try await alice.nextText() == "hello - -")
            #expect(try await bob.nextText() == "hello - -")
            try await alice.send(text: "add:first")
            #expect(try await alice.nextText() == "notes:first")
            try await bob.send(text: "add:second")
            #expect(try await bob.nextText() == "notes:first,second")

            let answered = try await server.control("POST", "/rooms/session/\(name)/terminate", json: [:])
            #expect(answered.status == 200)
            let final = try JSONValue.parse(answered.text)
            #expect(final["status"] == "terminated")
            #expect(final["termination_reason"] == "external")
            for socket in [alice, bob] {
                let closed = try await socket.waitForClose()
                #expect(closed.code == 1001)
            }
            let events = Recorder.shared.events(name)
            #expect(events.filter { $0.hasPrefix("close 1001") }.count == 2)
            // The final snapshot comes after both onClose calls.
            let snapshot = try #require(events.lastIndex(of: "snapshot first,second"))
            #expect(events.indices.filter { events[$0].hasPrefix("close 1001") }.allSatisfy { $0 < snapshot })
            try await waitUntil("the room left memory") { server.state("session", name) == .absent }

            // Connecting again starts a new activation that restores the stored snapshot.
            let again = try await server.webSocket(answer: answer)
            #expect(try await again.nextText() == "hello - -")
            try await again.send(text: "add:third")
            #expect(try await again.nextText() == "notes:first,second,third")
            #expect(Recorder.shared.events(name).contains("restore first,second"))
            #expect(try await server.roomStatus("session", name)["status"] == "ready")
        }
    }

    @Test("hard terminate drops connections at once, without onClose or a snapshot")
    func hardTerminate() async throws {
        try await withControlServer { server in
            let answer = try await server.connect(["server": "session", "spawn": [:]])
            let name = try #require(answer["name"]?.stringValue)
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")
            try await socket.send(text: "add:lost")
            #expect(try await socket.nextText() == "notes:lost")

            let answered = try await server.control("POST", "/rooms/session/\(name)/terminate", json: ["hard": true])
            #expect(try JSONValue.parse(answered.text)["status"] == "terminated")
            #expect(try await socket.next() == .disconnected)
            #expect(!Recorder.shared.events(name).contains { $0.hasPrefix("close") || $0.hasPrefix("snapshot") })
            try await waitUntil("the room left memory") { server.state("session", name) == .absent }

            let again = try await server.webSocket(answer: answer)
            #expect(try await again.nextText() == "hello - -")
            try await again.send(text: "add:fresh")
            #expect(try await again.nextText() == "notes:fresh")
            #expect(!Recorder.shared.events(name).contains { $0.hasPrefix("close") })
        }
    }

    @Test("while a room terminates, new connections and requests are refused with 503 and it terminates once onClose returns")
    func refusedWhileTerminating() async throws {
        try await withControlServer { server in
            let gate = "close-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["closeGate": .string(gate)]]])
            let name = try #require(answer["name"]?.stringValue)
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")

            let terminating = Task { try await server.control("POST", "/rooms/session/\(name)/terminate", json: [:]) }
            #expect(try await socket.waitForClose().code == 1001)
            try await waitForStatus(server, name, "terminating")
            let refusal = await upgradeError(server, "/parties/session/\(name)")
            #expect(refusal?.status == 503)
            #expect(refusal?.headers.first { $0.0.lowercased() == "retry-after" }?.1 == "1")
            #expect(try await server.request("GET", "/parties/session/\(name)").status == 503)

            await TestGates.shared.gate(gate).open()
            let answered = try await terminating.value
            #expect(try JSONValue.parse(answered.text)["status"] == "terminated")
            #expect(try await server.request("GET", "/parties/session/\(name)").status == 200)
        }
    }

    @Test("terminating a room that is not running leaves it as is; an unknown room is 404")
    func terminateIdempotent() async throws {
        try await withControlServer { server in
            let name = try #require(try await server.connect(["server": "session", "spawn": [:]])["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            #expect(try await server.control("POST", "/rooms/session/\(name)/terminate").status == 200)
            let again = try await server.control("POST", "/rooms/session/\(name)/terminate", json: ["hard": true])
            #expect(again.status == 200)
            #expect(try JSONValue.parse(again.text)["termination_reason"] == "external")
            let stream = try await server.control("GET", "/rooms/session/\(name)/status/stream")
            #expect(stream.text.components(separatedBy: #""status":"terminated""#).count == 2)
            #expect(try await server.control("POST", "/rooms/session/nobody/terminate").status == 404)
            #expect(try await server.control("POST", "/rooms/nope/\(name)/terminate").status == 404)
            #expect(try await server.control("GET", "/rooms/session/\(name)/terminate").status == 405)
        }
    }

    @Test("a room terminated while it starts does not become ready")
    func terminateWhileStarting() async throws {
        try await withControlServer { server in
            let gate = "slow-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["gate": .string(gate)]]])
            let name = try #require(answer["name"]?.stringValue)
            let answered = try await server.control("POST", "/rooms/session/\(name)/terminate", json: ["hard": true])
            #expect(try JSONValue.parse(answered.text)["status"] == "terminated")
            await TestGates.shared.gate(gate).open()
            try await waitUntil("the room left memory") { server.state("session", name) == .absent }
            #expect(try await server.roomStatus("session", name)["status"] == "terminated")
            let replay = try await server.control("GET", "/rooms/session/\(name)/status/stream")
            #expect(!replay.text.contains(#""status":"ready""#))
        }
    }
}

extension ControlTerminateTests {
    @Test("a soft termination whose onClose does not return finishes hard after the grace period")
    func graceEscalates() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock, configure: { $0.control.terminationGrace = .seconds(20) }) { server in
            let gate = "stuck-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["closeGate": .string(gate)], "max_idle_seconds": 3600]])
            let name = try #require(answer["name"]?.stringValue)
            let socket = try await server.webSocket(answer: answer)
            #expect(try await socket.nextText() == "hello - -")
            let terminating = Task { try await server.control("POST", "/rooms/session/\(name)/terminate", json: [:]) }
            #expect(try await socket.waitForClose().code == 1001)
            try await waitUntil("onClose is stuck") { Recorder.shared.events(name).contains { $0.hasPrefix("close 1001") } }
            clock.advance(by: .seconds(19))
            #expect(try await server.roomStatus("session", name)["status"] == "terminating")
            try await advance(clock, by: .seconds(2), until: "the grace period ran out") {
                try await server.roomStatus("session", name)["status"] == "terminated"
            }
            let answered = try await terminating.value
            #expect(try JSONValue.parse(answered.text)["termination_reason"] == "external")
            // It went through hard-terminating, so Jamsocket clients read a hard termination.
            #expect(try JSONValue.parse(answered.text)["termination_kind"] == "hard")
            #expect(!Recorder.shared.events(name).contains { $0.hasPrefix("snapshot") })
            await TestGates.shared.gate(gate).open()
        }
    }
}
