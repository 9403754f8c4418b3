import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Routing")
struct RoutingTests {
    @Test("room paths match with the default prefix, decoded names and the rest of the path")
    func matchesRoomPaths() {
        #expect(RoomRoute.match(path: "/parties/chat/lobby", prefix: "parties") == .room(server: "chat", name: "lobby", rest: ""))
        #expect(RoomRoute.match(path: "/parties/Chat/a%20b/x/y", prefix: "parties") == .room(server: "chat", name: "a b", rest: "/x/y"))
        #expect(RoomRoute.match(path: "/parties/chat/lobby/", prefix: "parties") == .room(server: "chat", name: "lobby", rest: "/"))
        #expect(RoomRoute.match(path: "/", prefix: "parties") == .notParty)
        #expect(RoomRoute.match(path: "/partiesx/chat/lobby", prefix: "parties") == .notParty)
        #expect(RoomRoute.match(path: "/rooms/chat/lobby", prefix: "rooms") == .room(server: "chat", name: "lobby", rest: ""))
    }

    @Test("empty, over-long, slash and control-character names are invalid", arguments: [
        "/parties/chat/", "/parties/chat", "/parties", "/parties/", "/parties//x",
        "/parties/chat/%2F", "/parties/chat/a%2Fb", "/parties/chat/%00", "/parties/chat/a%0Ab", "/parties/chat/%7F",
        "/parties/chat/%ZZ", "/parties/chat/%C3", "/parties/chat/" + String(repeating: "n", count: 129),
        "/parties/chat/" + String(repeating: "%C3%A9", count: 129),
    ])
    func rejectsBadNames(path: String) {
        guard case .invalid = RoomRoute.match(path: path, prefix: "parties") else {
            Issue.record("\(path) should be invalid")
            return
        }
    }

    @Test("names of exactly 128 characters are accepted, counted after decoding")
    func acceptsLongestName() {
        let ascii = String(repeating: "n", count: 128)
        #expect(RoomRoute.match(path: "/parties/chat/\(ascii)", prefix: "parties") == .room(server: "chat", name: ascii, rest: ""))
        let accented = String(repeating: "%C3%A9", count: 128)
        #expect(RoomRoute.match(path: "/parties/chat/\(accented)", prefix: "parties") == .room(server: "chat", name: String(repeating: "é", count: 128), rest: ""))
    }

    @Test("route names are the kebab-case of type names")
    func kebabCase() {
        #expect(RouteName.kebabCase("Chat") == "chat")
        #expect(RouteName.kebabCase("ChatRoom") == "chat-room")
        #expect(RouteName.kebabCase("MyHTTPServer") == "my-http-server")
        #expect(RouteName.kebabCase("Room2Go") == "room2-go")
        #expect(RouteName.kebabCase("snake_case") == "snake-case")
    }
}

@Suite("Live routing")
struct LiveRoutingTests {
    @Test("the rest of the path, the query and the body reach onRequest")
    func restPathReachesOnRequest() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let response = try await server.request("POST", "/parties/probe/\(room)/a/b?q=1", body: "hello")
            #expect(response.status == 200)
            let json = try JSONDecoder().decode([String: String].self, from: Data(response.body))
            #expect(json == [
                "server": "probe", "name": room, "method": "POST", "path": "/a/b", "q": "1", "body": "hello", "seen": "onBeforeRequest",
            ])
        }
    }

    @Test("route names are kebab-case and match case-insensitively")
    func kebabAndCase() async throws {
        try await withProbeServer { server in
            let lower = try await server.request("GET", "/parties/chat-room/r1/x")
            #expect(lower.status == 200)
            #expect(lower.text == "chat-room r1 /x")
            let mixed = try await server.request("GET", "/parties/Chat-ROOM/r1")
            #expect(mixed.status == 200)
            #expect(mixed.text == "chat-room r1 ")
        }
    }

    @Test("registering under an explicit route name overrides the kebab-case name")
    func explicitRouteName() async throws {
        let server = try await PartyTestServer.start { app in _ = try app.register(ChatRoom.self, as: "talk") }
        #expect(try await server.request("GET", "/parties/talk/r").status == 200)
        #expect(try await server.request("GET", "/parties/chat-room/r").status == 404)
        try await server.shutdown()
    }

    @Test("a configured prefix replaces 'parties'")
    func configuredPrefix() async throws {
        try await withProbeServer(configuration: PartyConfiguration(prefix: "rooms")) { server in
            let room = uniqueRoom()
            #expect(try await server.request("GET", "/rooms/probe/\(room)").status == 200)
            #expect(try await server.request("GET", "/parties/probe/\(room)").status == 404)
            let socket = try await server.webSocket("/rooms/probe/\(room)?_pk=p1")
            #expect(try await socket.nextText() == "welcome:p1")
            try await socket.close()
        }
    }

    @Test("an unknown server answers 404 with a JSON error body, over HTTP and WebSocket")
    func unknownServer() async throws {
        try await withProbeServer { server in
            let response = try await server.request("GET", "/parties/nope/room")
            #expect(response.status == 404)
            #expect(response.header("content-type") == "application/json")
            let body = try JSONValue.parse(response.text)
            #expect(body["status"] == .number(404))
            guard case .string(let message)? = body["error"] else {
                Issue.record("no error message in \(response.text)")
                return
            }
            #expect(message.contains("unknown server"))
            #expect(try await upgradeStatus(server, "/parties/nope/room") == 404)
        }
    }

    @Test("bad room names answer 400 and start no room", arguments: [
        "/parties/probe/", "/parties/probe/%2F", "/parties/probe/a%00b", "/parties/probe/%01",
        "/parties/probe/" + String(repeating: "n", count: 129),
    ])
    func badNames(path: String) async throws {
        try await withProbeServer { server in
            let response = try await server.request("GET", path)
            #expect(response.status == 400)
            #expect(response.text.contains("\"error\""))
            #expect(try await upgradeStatus(server, path) == 400)
        }
    }

    @Test("a room without onRequest answers 404 with a JSON error")
    func defaultOnRequest() async throws {
        try await withProbeServer { server in
            let response = try await server.request("GET", "/parties/bare/x")
            #expect(response.status == 404)
            #expect(response.text.contains("does not handle HTTP requests"))
        }
    }

    @Test("onRequest that throws answers 500 and the room keeps serving")
    func throwingOnRequest() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let failed = try await server.request("GET", "/parties/probe/\(room)/throw")
            #expect(failed.status == 500)
            let fine = try await server.request("GET", "/parties/probe/\(room)/fine")
            #expect(fine.status == 200)
        }
    }

    @Test("a request body over the limit answers 413")
    func bodyTooLarge() async throws {
        try await withProbeServer(configuration: PartyConfiguration(maxRequestBodySize: 1024)) { server in
            let room = uniqueRoom()
            let response = try await server.request("POST", "/parties/probe/\(room)", body: String(repeating: "b", count: 2048))
            #expect(response.status == 413)
            #expect(try await server.request("POST", "/parties/probe/\(room)", body: String(repeating: "b", count: 1024)).status == 200)
        }
    }

    @Test("CORS preflight is answered without waking the room, and responses carry the origin")
    func corsAllowAll() async throws {
        try await withProbeServer(configuration: PartyConfiguration(cors: .allowAll)) { server in
            let room = uniqueRoom()
            let preflight = try await server.request(
                "OPTIONS", "/parties/probe/\(room)",
                headers: [("Origin", "https://example.test"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(preflight.status == 204)
            #expect(preflight.header("access-control-allow-origin") == "*")
            #expect(preflight.header("access-control-allow-methods")?.contains("POST") == true)
            #expect(Probe.initCount(room) == 0)
            let response = try await server.request("GET", "/parties/probe/\(room)", headers: [("Origin", "https://example.test")])
            #expect(response.header("access-control-allow-origin") == "*")
        }
    }

    @Test("CORS with an origin list echoes allowed origins only")
    func corsOriginList() async throws {
        let cors = CORSConfiguration(origins: .list(["https://good.test"]))
        try await withProbeServer(configuration: PartyConfiguration(cors: cors)) { server in
            let room = uniqueRoom()
            let good = try await server.request("GET", "/parties/probe/\(room)", headers: [("Origin", "https://good.test")])
            #expect(good.header("access-control-allow-origin") == "https://good.test")
            let bad = try await server.request("GET", "/parties/probe/\(room)", headers: [("Origin", "https://evil.test")])
            #expect(bad.header("access-control-allow-origin") == nil)
            let badPreflight = try await server.request(
                "OPTIONS", "/parties/probe/\(room)",
                headers: [("Origin", "https://evil.test"), ("Access-Control-Request-Method", "GET")]
            )
            #expect(badPreflight.status == 403)
        }
    }

    @Test("an unknown path answers 404 JSON and GET / serves the demo page")
    func otherPaths() async throws {
        try await withProbeServer { server in
            let missing = try await server.request("GET", "/nothing/here")
            #expect(missing.status == 404)
            #expect(missing.header("content-type") == "application/json")
            let page = try await server.request("GET", "/")
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
        }
    }
}

@Suite("Upgrade edge cases")
struct UpgradeEdgeCaseTests {
    @Test("an upgrade on a reused keep-alive connection is redirected to a fresh connection")
    func upgradeOnKeepAliveConnection() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let connection = try await RawConnection.connect(port: server.port)
            defer { connection.close() }
            try await connection.write("GET /parties/probe/\(room) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await waitUntil("the first response arrived") { connection.text.contains("\"name\":\"\(room)\"") }
            try await connection.write(
                "GET /parties/probe/\(room)?_pk=late HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            try await waitUntil("the connection was closed after the redirect") { connection.isClosed }
            #expect(connection.text.contains("HTTP/1.1 307"))
            #expect(connection.text.lowercased().contains("location: /parties/probe/\(room)?_pk=late"))
            // The same upgrade on a fresh connection succeeds.
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=late")
            #expect(try await socket.nextText() == "welcome:late")
            try await socket.close()
        }
    }

    @Test("a wrong Sec-WebSocket-Version answers 426 naming version 13; a missing key answers 400")
    func malformedUpgrades() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let version = await upgradeError(server, "/parties/probe/\(room)", headers: [("Sec-WebSocket-Version", "8")])
            #expect(version?.status == 426)
            #expect(version?.headers.contains { $0.0.lowercased() == "sec-websocket-version" && $0.1 == "13" } == true)
            let connection = try await RawConnection.connect(port: server.port)
            defer { connection.close() }
            try await connection.write(
                "GET /parties/probe/\(room) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            try await waitUntil("the refusal arrived") { connection.text.contains("\r\n\r\n") }
            #expect(connection.text.hasPrefix("HTTP/1.1 400"))
            #expect(Probe.initCount(room) == 0)
        }
    }

    @Test("a prefix with slashes around it is refused at start with a clear error")
    func invalidPrefix() async throws {
        await #expect(throws: PartyError.invalidPrefix("/parties")) {
            _ = try await PartyTestServer.start(configuration: PartyConfiguration(prefix: "/parties")) { _ in }
        }
    }
}
