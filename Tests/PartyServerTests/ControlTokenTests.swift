import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: connection tokens")
struct ControlTokenTests {
    @Test("a room spawned with a user refuses connections without a valid token (401) before any room wakes")
    func tokenRequired() async throws {
        try await withControlServer { server in
            let gate = "hold-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["gate": .string(gate)]], "user": "alice"])
            let name = try #require(answer["name"]?.stringValue)
            let token = try #require(answer["token"]?.stringValue)
            try await waitForStatus(server, name, "starting")
            await TestGates.shared.gate(gate).open()
            try await waitForStatus(server, name, "ready")
            let path = "/parties/session/\(name)"
            #expect(try await upgradeStatus(server, path) == 401)
            #expect(try await upgradeStatus(server, path + "?token=") == 401)
            #expect(try await upgradeStatus(server, path + "?token=\(token)x") == 401)
            #expect(try await upgradeStatus(server, path, headers: [("Authorization", "Bearer not-a-token")]) == 401)
            #expect(try await server.request("GET", path).status == 401)
            #expect(!Recorder.shared.events(name).contains { $0.hasPrefix("connect") })

            // A token for another room does not open this one.
            let other = try await server.connect(["server": "session", "spawn": [:], "user": "alice"])
            let otherToken = try #require(other["token"]?.stringValue)
            #expect(try await upgradeStatus(server, path + "?token=\(otherToken)") == 401)

            // Terminated and reached again, the room still requires a token.
            _ = try await server.control("POST", "/rooms/session/\(name)/terminate", json: ["hard": true])
            #expect(try await upgradeStatus(server, path) == 401)
            #expect(try await server.roomStatus("session", name)["status"] == "terminated")
        }
    }

    @Test("with its token the room sees the user and the auth value, by query or Authorization: Bearer")
    func tokenGrantsUser() async throws {
        try await withControlServer { server in
            let answer = try await server.connect([
                "server": "session", "key": "doc", "spawn": [:], "user": "alice", "auth": ["role": "editor", "teams": ["a", "b"]],
            ])
            let name = try #require(answer["name"]?.stringValue)
            let token = try #require(answer["token"]?.stringValue)
            #expect(token.split(separator: ".").count == 3)
            let byQuery = try await server.webSocket(answer: answer, token: token)
            #expect(try await byQuery.nextText() == #"hello alice {"role":"editor","teams":["a","b"]}"#)
            let byHeader = try await server.webSocket("/parties/session/\(name)", headers: [("Authorization", "Bearer \(token)")])
            #expect(try await byHeader.nextText() == #"hello alice {"role":"editor","teams":["a","b"]}"#)
            #expect(try await server.request("GET", "/parties/session/\(name)?token=\(token)").text == "notes= user=alice")

            // Another user of the same room gets a token of their own.
            let bob = try await server.connect(["server": "session", "key": "doc", "spawn": false, "user": "bob"])
            #expect(bob["spawned"] == false)
            let bobSocket = try await server.webSocket(answer: bob, token: try #require(bob["token"]?.stringValue))
            #expect(try await bobSocket.nextText() == "hello bob -")
        }
    }

    @Test("tokens expire after the token lifetime on the application's clock")
    func tokenExpiry() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock, configure: { $0.control.tokenLifetime = .seconds(60) }) { server in
            let answer = try await server.connect(["server": "session", "spawn": ["max_idle_seconds": 3600], "user": "carol"])
            let name = try #require(answer["name"]?.stringValue)
            let token = try #require(answer["token"]?.stringValue)
            clock.advance(by: .seconds(59))
            let early = try await server.webSocket(answer: answer, token: token)
            #expect(try await early.nextText() == "hello carol -")
            clock.advance(by: .seconds(2))
            #expect(try await upgradeStatus(server, "/parties/session/\(name)?token=\(token)") == 401)
            // The connection made with the token before it expired stays open.
            try await early.send(text: "still")
            #expect(try await early.nextText() == "echo:still")
        }
    }

    @Test("rooms spawned without a user accept connections without a token, and ignore tokens meant for other rooms")
    func openRooms() async throws {
        try await withControlServer { server in
            let open = try await server.connect(["server": "session", "spawn": [:]])
            let guarded = try await server.connect(["server": "session", "spawn": [:], "user": "dave"])
            let foreign = try #require(guarded["token"]?.stringValue)
            let plain = try await server.webSocket(answer: open)
            #expect(try await plain.nextText() == "hello - -")
            let withForeign = try await server.webSocket(answer: open, token: foreign)
            #expect(try await withForeign.nextText() == "hello - -")
            // Direct rooms are untouched by the control API.
            let direct = try await server.webSocket("/parties/session/\(uniqueRoom("direct"))?token=whatever")
            #expect(try await direct.nextText() == "hello - -")
        }
    }
}
