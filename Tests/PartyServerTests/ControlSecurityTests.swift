import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: with JWT authentication and room limits")
struct ControlSecurityTests {
    @Test("with jwt.required, a connection token opens its room without a JWT, other rooms still need a JWT, and a JWT does not open a room that needs a connection token")
    func connectionTokensBesideJWT() async throws {
        let secret = Array("a-secret-of-at-least-thirty-two-bytes!!".utf8)
        let key = try JWTKey.hs256(secret: secret)
        try await withControlServer(configure: { $0.jwt = JWTAuthentication(keys: [key]) }) { server in
            let answer = try await server.connect(["server": "session", "spawn": [:], "user": "alice"])
            let name = try #require(answer["name"]?.stringValue)
            let token = try #require(answer["token"]?.stringValue)
            let socket = try await server.webSocket(answer: answer, token: token)
            #expect(try await socket.nextText() == "hello alice -")

            let jwt = try await JWTTokenIssuer(key: key).token(subject: "bob", expiresIn: .seconds(600))
            #expect(try await upgradeStatus(server, "/parties/session/\(name)?token=\(jwt)") == 401)
            let direct = "/parties/session/\(uniqueRoom("direct"))"
            #expect(try await upgradeStatus(server, direct) == 401)
            #expect(try await upgradeStatus(server, direct + "?token=\(token)") == 401)
            let withJWT = try await server.webSocket(direct + "?token=\(jwt)")
            #expect(try await withJWT.nextText() == "hello bob -")
        }
    }

    @Test("a status stream stays open past the HTTP idle timeout: it is a response in progress, not an idle connection")
    func streamOutlivesIdleTimeout() async throws {
        let connectionClock = ManualClock()
        try await withControlServer(configure: {
            $0.connectionClock = connectionClock
            $0.limits.idleTimeout = .seconds(20)
        }) { server in
            let name = try #require(try await server.connect(["server": "session", "spawn": [:]])["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            let stream = try await server.statusStream("session", name)
            try await waitUntil("the replay arrived") { stream.events.count == 4 }
            let start = connectionClock.now
            try await server.sweep(connectionClock, until: "a minute of connection time passed") {
                connectionClock.now > start.addingTimeInterval(60)
            }
            #expect(!stream.hasEnded)
            _ = try await server.control("POST", "/rooms/session/\(name)/terminate", json: [:])
            try await waitUntil("the stream delivered the end") { stream.hasEnded }
            #expect(stream.statuses.suffix(2) == ["terminating", "terminated"])
        }
    }

    @Test("connect answers 503 over-limit when a new room would pass maxLiveRooms, but still finds rooms by key")
    func spawnOverLimit() async throws {
        try await withControlServer(configure: { $0.limits.maxLiveRooms = 1 }) { server in
            let first = try await server.connect(["server": "session", "key": "only", "spawn": [:]])
            let name = try #require(first["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            let refused = try await server.control("POST", "/connect", json: ["server": "session", "spawn": [:]])
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(try JSONValue.parse(refused.text)["code"] == "over-limit")
            let found = try await server.connect(["server": "session", "key": "only", "spawn": [:]])
            #expect(found["name"]?.stringValue == name)
            #expect(found["spawned"] == false)
            #expect(try JSONValue.parse(try await server.control("GET", "/rooms").text)["rooms"]?.arrayValue?.count == 1)
        }
    }
}
