import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// The control plane across a graceful restart of an in-process server on the same data directory.
@Suite("Control: restarts")
struct ControlRestartTests {
    @Test("a room spawned with a user still refuses requests without its token after a restart, and a token from before the restart opens it")
    func tokenRequirementSurvives() async throws {
        try await withRestartedControlServer { server in
            let answer = try await server.connect(["server": "session", "key": "doc-token", "spawn": [:], "user": "alice", "auth": ["role": "editor"]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            #expect(try await server.request("GET", "/parties/session/\(name)").status == 401)
            return (name: name, token: try #require(answer["token"]?.stringValue))
        } after: { server, before in
            let path = "/parties/session/\(before.name)"
            #expect(try await server.request("GET", path).status == 401)
            #expect(try await upgradeStatus(server, path) == 401)
            #expect(try await upgradeStatus(server, path + "?token=\(before.token)x") == 401)
            let response = try await server.request("GET", path + "?token=\(before.token)")
            #expect(response.status == 200)
            #expect(response.text == "notes= user=alice")
            let socket = try await server.webSocket(path, headers: [("Authorization", "Bearer \(before.token)")])
            #expect(try await socket.nextText() == #"hello alice {"role":"editor"}"#)
        }
    }

    @Test("connect by key after a restart finds the same room (spawned: false) with its env, and a new token opens it")
    func keyAndEnvironmentSurvive() async throws {
        try await withRestartedControlServer { server in
            let answer = try await server.connect(["server": "session", "key": "doc-key", "spawn": ["env": ["plan": "pro", "region": "eu"]], "user": "bob"])
            #expect(answer["spawned"] == true)
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            return name
        } after: { server, name in
            let found = try await server.connect(["server": "session", "key": "doc-key", "spawn": false, "user": "bob"])
            #expect(found["spawned"] == false)
            #expect(found["name"]?.stringValue == name)
            #expect(found["status"] == "ready")
            let again = try await server.connect(["server": "session", "key": "doc-key", "spawn": ["env": ["plan": "free"]]])
            #expect(again["spawned"] == false && again["name"]?.stringValue == name)
            let socket = try await server.webSocket(answer: found, token: try #require(found["token"]?.stringValue))
            #expect(try await socket.nextText() == "hello bob -")
            try await socket.send(text: "env")
            #expect(try await socket.nextText() == "plan=pro;region=eu")
            let listed = try JSONValue.parse(try await server.control("GET", "/rooms?server=session").text)
            #expect(listed["rooms"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["key"] == "doc-key")
        }
    }

    @Test("a lifetime limit set before a restart ends the room at spawnedAt + limit on the application's clock, closing its sockets with 4000")
    func lifetimeLimitSurvives() async throws {
        let clock = ManualClock()
        let spawnedAt = clock.now
        try await withRestartedControlServer(clock: clock) { server in
            let answer = try await server.connect(["server": "session", "key": "timed", "spawn": ["lifetime_limit_seconds": 60, "max_idle_seconds": 3600]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            clock.advance(by: .seconds(30))
            return name
        } after: { server, name in
            let socket = try await server.webSocket("/parties/session/\(name)")
            #expect(try await socket.nextText() == "hello - -")
            clock.advance(by: .seconds(29))
            try await socket.send(text: "still-here")
            #expect(try await socket.nextText() == "echo:still-here")
            #expect(try await server.roomStatus("session", name)["status"] == "ready")

            clock.advance(by: .seconds(1))
            let closed = try await socket.waitForClose()
            #expect(closed.code == 4000)
            #expect(closed.reason == "key_expired")
            try await waitForStatus(server, name, "terminated")
            let status = try await server.roomStatus("session", name)
            #expect(status["termination_reason"] == "key_expired")
            #expect(controlTime(status["time"]) == spawnedAt.addingTimeInterval(60))
            #expect(try await server.control("POST", "/connect", json: ["server": "session", "key": "timed", "spawn": false]).status == 409)
        }
    }

    @Test("the idle limit goes on from the last activity saved at shutdown, not from the restart")
    func idleLimitSurvives() async throws {
        let clock = ManualClock()
        try await withRestartedControlServer(clock: clock) { server in
            let answer = try await server.connect(["server": "session", "spawn": ["max_idle_seconds": 100]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            clock.advance(by: .seconds(60))
            return name
        } after: { server, name in
            #expect(try await server.roomStatus("session", name)["status"] == "ready")
            clock.advance(by: .seconds(39))
            #expect(try await server.roomStatus("session", name)["status"] == "ready")
            clock.advance(by: .seconds(2))
            try await waitForStatus(server, name, "terminated")
            #expect(try await server.roomStatus("session", name)["termination_reason"] == "swept")
        }
    }

    @Test("after a restart a spawned room reads ready and hibernated until it wakes; a room reached directly reads terminated with shutdown")
    func statusesAfterRestart() async throws {
        let direct = uniqueRoom("direct")
        try await withRestartedControlServer { server in
            let answer = try await server.connect(["server": "notebook", "spawn": [:]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready", on: "notebook")
            let socket = try await server.webSocket("/parties/notebook/\(direct)")
            try await socket.send(text: "ping")
            #expect(try await socket.nextText() == "pong")
            try await waitForStatus(server, direct, "ready", on: "notebook")
            return name
        } after: { server, name in
            let spawned = try await server.roomStatus("notebook", name)
            #expect(spawned["status"] == "ready")
            #expect(spawned["hibernated"] == true)
            let ended = try await server.roomStatus("notebook", direct)
            #expect(ended["status"] == "terminated")
            #expect(ended["termination_reason"] == "shutdown")

            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "ping")
            #expect(try await socket.nextText() == "pong")
            try await waitUntil("the woken room reads hibernated: false") {
                try await server.roomStatus("notebook", name)["hibernated"] == false
            }
            // Waking it went on with the same activation: no new scheduled, loading or starting.
            let woken = try server.application.rooms.status(server: "notebook", name: name)
            #expect(woken.status == .ready)
            #expect(woken.activation == 1 && woken.sequence == 4)
        }
    }

    @Test("a spawned room still starting at shutdown starts again after the restart")
    func unreadyRoomStartsAgain() async throws {
        let gate = "restart-\(UUID().uuidString)"
        try await withRestartedControlServer { server in
            let answer = try await server.connect(["server": "session", "key": "slow", "spawn": ["env": ["gate": .string(gate)]]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "starting")
            return name
        } after: { server, name in
            await TestGates.shared.gate(gate).open()
            try await waitForStatus(server, name, "ready")
            #expect(try await server.connect(["server": "session", "key": "slow", "spawn": false])["name"]?.stringValue == name)
        }
    }

    @Test("retention forgets the oldest terminated rooms in the database too, and they stay forgotten after a restart")
    func retentionDeletesRows() async throws {
        let rooms = (0..<3).map { _ in uniqueRoom("retained") }
        try await withRestartedControlServer(configure: { $0.control.retainedTerminatedRooms = 1 }) { server in
            for room in rooms {
                #expect(try await server.request("GET", "/parties/session/\(room)").status == 200)
                _ = try await server.control("POST", "/rooms/session/\(room)/terminate", json: [:])
                try await waitForStatus(server, room, "terminated")
            }
            try await waitUntil("only the last terminated room is stored") {
                try await storedControlRooms(server).intersection(rooms) == [rooms[2]]
            }
            return rooms
        } after: { server, rooms async throws in
            #expect(try await server.control("GET", "/rooms/session/\(rooms[0])/status").status == 404)
            #expect(try await server.control("GET", "/rooms/session/\(rooms[1])/status").status == 404)
            #expect(try await server.roomStatus("session", rooms[2])["termination_reason"] == "external")
            #expect(try await storedControlRooms(server).intersection(rooms) == [rooms[2]])
        }
    }
}
