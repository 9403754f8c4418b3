import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// The control API read with Jamsocket's eyes: its `ConnectRequest` JSON as it is, its
/// `ConnectResponse` fields, its statuses, termination reasons and kinds.
@Suite("Control: Jamsocket compatibility")
struct ControlJamsocketTests {
    /// Sends a connect body given as JSON text, as a Jamsocket client would.
    private func connect(_ server: PartyTestServer, _ body: String) async throws -> (status: Int, json: JSONValue) {
        let response = try await server.request(
            "POST", "/_party/connect", headers: [("Authorization", "Bearer \(controlKey)"), ("Content-Type", "application/json")], body: body
        )
        return (response.status, (try? JSONValue.parse(response.text)) ?? .null)
    }

    @Test("the seed's connect requests, verbatim, with a default server type: {} spawns, a key gets or creates, spawn false only finds")
    func seedRequests() async throws {
        try await withControlServer(configure: { $0.control.defaultServer = "session" }) { server in
            let empty = try await connect(server, "{}")
            #expect(empty.status == 200)
            let name = try #require(empty.json["name"]?.stringValue)
            #expect(empty.json["backend_id"]?.stringValue == "session/\(name)")
            #expect(empty.json["spawned"] == true)
            #expect(["scheduled", "loading", "starting", "ready"].contains(empty.json["status"]?.stringValue ?? ""))
            #expect(empty.json["token"] == .null && empty.json["secret_token"] == .null)
            #expect(empty.json["url"]?.stringValue == "ws://127.0.0.1:\(server.port)/parties/session/\(name)")
            let statusURL = "http://127.0.0.1:\(server.port)/_party/rooms/session/\(name)/status"
            #expect(empty.json["status_url"]?.stringValue == statusURL)
            #expect(empty.json["ready_url"]?.stringValue == statusURL + "?wait=ready")

            let first = try await connect(server, #"{"key": "doc-7"}"#)
            let second = try await connect(server, #"{"key": "doc-7"}"#)
            #expect(first.json["spawned"] == true && second.json["spawned"] == false)
            #expect(first.json["backend_id"] == second.json["backend_id"])
            #expect(try await connect(server, #"{"key": "doc-7", "spawn": false}"#).json["backend_id"] == first.json["backend_id"])
            let unheld = try await connect(server, #"{"key": "absent", "spawn": false}"#)
            #expect(unheld.status == 409 && unheld.json["code"] == "key-unheld")
            let fresh = try await connect(server, #"{"spawn": true}"#)
            #expect(fresh.json["spawned"] == true && fresh.json["backend_id"] != empty.json["backend_id"])
            #expect(try await connect(server, #"{"spawn": false}"#).json["code"] == "nothing-to-connect")
        }
    }

    @Test("spawn options as Jamsocket spells them: tag, limits, executable.env; mount, resource_limits and cluster are accepted")
    func spawnOptions() async throws {
        try await withControlServer { server in
            let body = #"""
                {"server": "session", "key": "match-1", "user": "ada", "auth": {"team": "red"},
                 "spawn": {"tag": "v1", "cluster": "eu", "lifetime_limit_seconds": 3600, "max_idle_seconds": 60,
                           "executable": {"mount": true, "env": {"mode": "ranked"}, "resource_limits": {"cpu_period": 100000}}}}
                """#
            let created = try await connect(server, body)
            #expect(created.status == 200, "\(created.json)")
            let token = try #require(created.json["token"]?.stringValue)
            let socket = try await server.webSocket(answer: created.json, token: token)
            #expect(try await socket.nextText() == #"hello ada {"team":"red"}"#)
            try await socket.send(text: "env")
            #expect(try await socket.nextText() == "mode=ranked")

            let otherTag = try await connect(server, #"{"server": "session", "key": "match-1", "spawn": {"tag": "v2"}}"#)
            #expect(otherTag.status == 409)
            #expect(otherTag.json["code"] == "key-held")
            #expect(otherTag.json["error"]?.stringValue?.contains(#""v1""#) == true)
            let sameTag = try await connect(server, #"{"server": "session", "key": "match-1", "spawn": {"tag": "v1"}}"#)
            #expect(sameTag.json["spawned"] == false && sameTag.json["backend_id"] == created.json["backend_id"])
        }
    }

    @Test("statuses end as Jamsocket's: soft and hard kinds, hard-terminating, exit_error for a failed start")
    func terminationKinds() async throws {
        try await withControlServer { server in
            for hard in [false, true] {
                let answer = try await server.connect(["server": "session", "spawn": [:]])
                let name = try #require(answer["name"]?.stringValue)
                try await waitForStatus(server, name, "ready")
                let stream = try await server.statusStream("session", name)
                let ended = try await server.control("POST", "/rooms/session/\(name)/terminate", json: ["hard": .bool(hard)])
                let final = try JSONValue.parse(ended.text)
                #expect(final["status"] == "terminated")
                #expect(final["termination_reason"] == "external")
                #expect(final["termination_kind"]?.stringValue == (hard ? "hard" : "soft"))
                #expect(final["exit_error"] == false)
                try await waitUntil("the status stream ended") { stream.hasEnded }
                #expect(stream.statuses.suffix(2) == [hard ? "hard-terminating" : "terminating", "terminated"])
            }
            let failing = try await server.connect(["server": "session", "spawn": ["env": ["fail": "1"]]])
            let name = try #require(failing["name"]?.stringValue)
            try await waitForStatus(server, name, "terminated")
            let status = try await server.roomStatus("session", name)
            #expect(status["termination_reason"] == "internal_error")
            #expect(status["exit_error"] == true)
            #expect(status["termination_kind"] == nil)
            #expect(status["backend_id"]?.stringValue == "session/\(name)")
        }
    }

    @Test("records written with the older reason spellings still load")
    func olderSpellings() throws {
        let decoded = try JSONDecoder().decode([TerminationReason].self, from: Data(#"["keyexpired","startuptimeout","internalerror","key_expired","lost"]"#.utf8))
        #expect(decoded == [.keyExpired, .startupTimeout, .internalError, .keyExpired, .lost])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TerminationReason].self, from: Data(#"["exploded"]"#.utf8)) }
        #expect(RoomStatus.allCases.map(\.rawValue) == ["scheduled", "loading", "starting", "waiting", "ready", "terminating", "hard-terminating", "terminated"])
    }
}
