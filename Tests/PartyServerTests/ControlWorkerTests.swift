import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: workers on rooms spawned with a user")
struct ControlWorkerTests {
    @Test("valid worker credentials open a room spawned with a user over WebSocket and HTTP without a token; wrong ones and no credentials get 401")
    func workersNeedNoToken() async throws {
        try await withControlServer { server in
            let workers = try #require(server.application.edge).workers
            let credentials = try await workers.create(name: "indexer")
            let answer = try await server.connect(["server": "session", "spawn": [:], "user": "alice"])
            let name = try #require(answer["name"]?.stringValue)
            let path = "/parties/session/\(name)"
            try await waitForStatus(server, name, "ready")

            let socket = try await server.webSocket(path, headers: [("Authorization", credentials.authorization)])
            #expect(try await socket.nextText() == "hello \(credentials.id) -")
            let response = try await server.request("GET", path, headers: [("Authorization", credentials.authorization)])
            #expect(response.status == 200)
            #expect(response.text == "notes= user=\(credentials.id)")

            let wrong = WorkerCredentials(id: credentials.id, secret: String(repeating: "0", count: 64))
            #expect(try await upgradeStatus(server, path, headers: [("Authorization", wrong.authorization)]) == 401)
            #expect(try await server.request("GET", path, headers: [("Authorization", wrong.authorization)]).status == 401)
            #expect(try await upgradeStatus(server, path) == 401)
            #expect(try await server.request("GET", path).status == 401)

            try await workers.revoke(id: credentials.id)
            #expect(try await upgradeStatus(server, path, headers: [("Authorization", credentials.authorization)]) == 401)
            #expect(try await server.request("GET", path, headers: [("Authorization", credentials.authorization)]).status == 401)
        }
    }
}
