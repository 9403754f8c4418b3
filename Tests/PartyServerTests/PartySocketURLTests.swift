import PartyClient
import Testing

/// URL building like the JavaScript `partysocket`, for every form of host.
@Suite struct PartySocketURLTests {
    private func url(_ host: String, scheme: PartySocketScheme? = nil) throws(PartySocketError) -> PartySocketURL {
        try PartySocketURL(host: host, room: "lobby", scheme: scheme, id: "abc")
    }

    @Test(arguments: [
        ("localhost", "ws://localhost/parties/main/lobby?_pk=abc"),
        ("localhost:1999", "ws://localhost:1999/parties/main/lobby?_pk=abc"),
        ("LocalHost:1999", "ws://LocalHost:1999/parties/main/lobby?_pk=abc"),
        ("127.0.0.1:1999", "ws://127.0.0.1:1999/parties/main/lobby?_pk=abc"),
        ("127.8.9.10", "ws://127.8.9.10/parties/main/lobby?_pk=abc"),
        ("[::1]:1999", "ws://[::1]:1999/parties/main/lobby?_pk=abc"),
        ("::1", "ws://[::1]/parties/main/lobby?_pk=abc"),
        ("[0:0:0:0:0:0:0:1]", "ws://[0:0:0:0:0:0:0:1]/parties/main/lobby?_pk=abc"),
        ("[::ffff:127.0.0.1]:80", "ws://[::ffff:127.0.0.1]:80/parties/main/lobby?_pk=abc"),
        ("10.1.2.3", "ws://10.1.2.3/parties/main/lobby?_pk=abc"),
        ("172.16.0.1:8080", "ws://172.16.0.1:8080/parties/main/lobby?_pk=abc"),
        ("172.31.255.255", "ws://172.31.255.255/parties/main/lobby?_pk=abc"),
        ("192.168.1.20:1999", "ws://192.168.1.20:1999/parties/main/lobby?_pk=abc"),
        ("printer.local", "ws://printer.local/parties/main/lobby?_pk=abc"),
        ("example.com", "wss://example.com/parties/main/lobby?_pk=abc"),
        ("example.com:8443", "wss://example.com:8443/parties/main/lobby?_pk=abc"),
        ("172.15.0.1", "wss://172.15.0.1/parties/main/lobby?_pk=abc"),
        ("172.32.0.1", "wss://172.32.0.1/parties/main/lobby?_pk=abc"),
        ("192.169.0.1", "wss://192.169.0.1/parties/main/lobby?_pk=abc"),
        ("8.8.8.8", "wss://8.8.8.8/parties/main/lobby?_pk=abc"),
        ("[2001:db8::1]:443", "wss://[2001:db8::1]:443/parties/main/lobby?_pk=abc"),
        ("localhost.example.com", "wss://localhost.example.com/parties/main/lobby?_pk=abc"),
        ("10.example.com", "wss://10.example.com/parties/main/lobby?_pk=abc"),
        ("https://my-app.partykit.dev/", "wss://my-app.partykit.dev/parties/main/lobby?_pk=abc"),
        ("ws://localhost:1999", "ws://localhost:1999/parties/main/lobby?_pk=abc"),
    ])
    func hostForms(host: String, expected: String) throws {
        #expect(try url(host).webSocketURL() == expected)
    }

    @Test func explicitSchemeWins() throws {
        #expect(try url("localhost:1999", scheme: .wss).webSocketURL() == "wss://localhost:1999/parties/main/lobby?_pk=abc")
        #expect(try url("localhost:1999", scheme: .wss).httpURL() == "https://localhost:1999/parties/main/lobby")
        #expect(try url("example.com", scheme: .ws).webSocketURL() == "ws://example.com/parties/main/lobby?_pk=abc")
        #expect(try url("example.com", scheme: .ws).httpURL() == "http://example.com/parties/main/lobby")
    }

    @Test func defaultPorts() throws {
        #expect(try url("example.com").port == 443)
        #expect(try url("localhost").port == 80)
        #expect(try url("example.com", scheme: .ws).port == 80)
        #expect(try url("[::1]:1999").port == 1999)
        #expect(try url("[::1]:1999").host.name == "::1")
        #expect(try url("[::1]:1999").host.authority == "[::1]:1999")
    }

    @Test func prefixPartyRoomPathAndQuery() throws {
        let url = try PartySocketURL(
            host: "example.com", room: "my room/1", party: "chat", prefix: "/api/parties/", path: "/items/ä b/", id: "id 1"
        )
        #expect(url.webSocketURL(query: [("token", "a&b=c"), ("x", "")])
            == "wss://example.com/api/parties/chat/my%20room%2F1/items/%C3%A4%20b?_pk=id%201&token=a%26b%3Dc&x=")
        #expect(url.httpURL() == "https://example.com/api/parties/chat/my%20room%2F1/items/%C3%A4%20b")
        #expect(url.httpURL(path: "other", query: [("token", "t")]) == "https://example.com/api/parties/chat/my%20room%2F1/other?token=t")
        #expect(url.roomPath(path: "") == "/api/parties/chat/my%20room%2F1")
    }

    @Test func queryFollowsPkInOrder() throws {
        let url = try url("localhost:1999")
        #expect(url.webSocketTarget(query: [("b", "2"), ("a", "1"), ("b", "3")]) == "/parties/main/lobby?_pk=abc&b=2&a=1&b=3")
    }

    @Test(arguments: ["", " ", "a b", "example.com:0", "example.com:65536", "example.com:http", "[::1", "[::1]x", "[nope]:80",
                      "host/path", "user@host", "1:2:3", "example.com:"])
    func invalidHostsThrow(host: String) {
        #expect(throws: PartySocketError.self) { try url(host) }
        do {
            _ = try url(host)
        } catch {
            #expect(error.code == .invalidHost)
            #expect(error.description.contains("localhost:1999"))
        }
    }

    @Test func emptyRoomPartyOrIdThrow() {
        #expect(throws: PartySocketError.self) { try PartySocketURL(host: "localhost", room: "", id: "a") }
        #expect(throws: PartySocketError.self) { try PartySocketURL(host: "localhost", room: "r", party: "", id: "a") }
        #expect(throws: PartySocketError.self) { try PartySocketURL(host: "localhost", room: "r", id: "") }
    }

    @Test func socketKeepsItsIdAndDefaultsToAUUID() throws {
        let socket = try PartySocket(PartySocketOptions(host: "localhost:1999", room: "lobby"))
        #expect(socket.id.count == 36)
        #expect(socket.id == socket.id.lowercased())
        #expect(socket.url.webSocketURL() == "ws://localhost:1999/parties/main/lobby?_pk=\(socket.id)")
        let other = try PartySocket(PartySocketOptions(host: "localhost:1999", room: "lobby"))
        #expect(other.id != socket.id)
    }

    @Test func invalidHeadersAndOptionsThrow() {
        var options = PartySocketOptions(host: "localhost", room: "r", headers: ["Bad Name": "x"])
        #expect(throws: PartySocketError.self) { try PartySocket(options) }
        options.headers = ["X-Token": "a\r\nInjected: yes"]
        #expect(throws: PartySocketError.self) { try PartySocket(options) }
        options.headers = ["Upgrade": "h2c"]
        #expect(throws: PartySocketError.self) { try PartySocket(options) }
        options.headers = ["Authorization": "PartyWorker w1:secret"]
        #expect(throws: Never.self) { _ = try PartySocket(options) }
        options.maxRetries = -1
        #expect(throws: PartySocketError.self) { try PartySocket(options) }
        options.maxRetries = nil
        options.reconnectionDelayGrowFactor = 0.5
        #expect(throws: PartySocketError.self) { try PartySocket(options) }
    }
}
