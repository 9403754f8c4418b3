import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: README example")
struct ControlReadmeTests {
    @Test("the README's Swift example connects, waits for ready, watches until terminated, lists and terminates")
    func swiftExample() async throws {
        try await PartyTestServer.withServer({ try ReadyMadeRooms.register(in: $0) }) { server in
            let app = server.application
            let grant = try await app.rooms.connect(
                server: "chat", key: "doc-42", spawn: RoomSpawn(lifetimeLimit: .seconds(3600), env: ["plan": "pro"]),
                user: "alice", auth: try JSONPayload(encoding: ["role": "editor"]))
            _ = try await app.rooms.waitUntilReady(server: "chat", name: grant.name)
            let summaries = try app.rooms.list(server: "chat", status: .ready)
            #expect(summaries.map(\.status.name) == [grant.name])
            async let terminated = app.rooms.terminate(server: "chat", name: grant.name, hard: false)
            var seen: [String] = []
            for await event in try app.rooms.statusUpdates(server: "chat", name: grant.name) {
                seen.append("\(event.status) \(event.terminationReason.map { "\($0)" } ?? "-")")
            }
            _ = try await terminated
            #expect(seen == ["scheduled -", "loading -", "starting -", "ready -", "terminating -", "terminated external"])
        }
    }

    @Test("the README's curl calls answer with the fields it shows")
    func curlExample() async throws {
        var configuration = PartyConfiguration()
        configuration.control.apiKey = "secret"
        try await PartyTestServer.withServer(configuration: configuration, { try ReadyMadeRooms.register(in: $0) }) { server in
            let headers = [("Authorization", "Bearer secret")]
            let body = """
                {
                  "server": "chat", "key": "doc-42", "user": "alice", "auth": {"role": "editor"},
                  "spawn": {"lifetime_limit_seconds": 3600, "max_idle_seconds": 300, "executable": {"env": {"plan": "pro"}}}}
                """
            let connected = try JSONValue.parse(try await server.request("POST", "/_party/connect", headers: headers, body: body).text)
            guard case .object(let fields) = connected else { throw ProbeError() }
            #expect(Set(fields.keys) == ["backend_id", "key", "name", "ready_url", "room_id", "secret_token", "server", "spawned", "status", "status_url", "token", "url"])
            let name = try #require(connected["name"]?.stringValue)
            let ready = try JSONValue.parse(try await server.request("GET", "/_party/rooms/chat/\(name)/status?wait=ready", headers: headers).text)
            guard case .object(let status) = ready else { throw ProbeError() }
            #expect(Set(status.keys) == ["backend_id", "hibernated", "name", "server", "status", "time"])
            #expect(ready["status"] == "ready")
            let list = try JSONValue.parse(try await server.request("GET", "/_party/rooms?server=chat&status=ready", headers: headers).text)
            guard case .object(let room)? = list["rooms"]?.arrayValue?.first else { throw ProbeError() }
            #expect(Set(room.keys) == ["connections", "hibernated", "key", "last_activity", "locked", "name", "reserved_seats", "server", "status", "time"])
            let terminated = try await server.request("POST", "/_party/rooms/chat/\(name)/terminate", headers: headers, body: #"{"hard": false}"#)
            #expect(try JSONValue.parse(terminated.text)["status"] == "terminated")
        }
    }
}
