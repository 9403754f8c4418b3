import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// What users porting from PartyServer expect: before-hook responses, the application's own
/// routes, several tags, the client's address, app-wide env and secrets, onError for protocol errors.
@Suite("Porting from PartyServer")
struct PortingTests {
    private func withPortingServer(
        configure: (inout PartyConfiguration) -> Void = { _ in }, fallback: PartyApplication.Fallback? = nil,
        _ body: (PartyTestServer) async throws -> Void
    ) async throws {
        var configuration = PartyConfiguration()
        configure(&configuration)
        let server = try await PartyTestServer.start(configuration: configuration) { app in
            try app.register(PortingRoom.self, as: "porting")
            if let fallback { try app.fallback(fallback) }
        }
        try await server.shuttingDown(after: body)
    }

    @Test("a before-hook may answer with its own response: a redirect, a 403 page, a refused upgrade with a Location")
    func beforeHookResponses() async throws {
        try await withPortingServer { server in
            let redirect = try await server.request("GET", "/parties/porting/r1/private")
            #expect(redirect.status == 302 && redirect.header("Location") == "/login")
            let denied = try await server.request("GET", "/parties/porting/r1/address?deny=1")
            #expect(denied.status == 403 && denied.text == "<h1>no entry</h1>" && denied.header("Content-Type") == "text/html")
            let (answer, _) = try await RawHTTPAnswer.exchange(port: server.port, Array(RawWebSocket.upgradeRequest("/parties/porting/r1?redirect=1").utf8))
            #expect(answer.status == 307 && answer.header("Location") == "/elsewhere")
            // No room was started for any of them.
            #expect(server.state("porting", "r1") == .absent)
        }
    }

    @Test("the application's own routes answer what no room route matched; room routes and the prefix's 404 stay as they are")
    func fallbackRoutes() async throws {
        try await withPortingServer(fallback: { request in
            switch (request.method, request.path) {
            case (.get, "/health"): return .text("ok from \(request.remoteAddress ?? "-") \(request.queryValue("probe") ?? "")")
            case (.post, "/echo"): return .text("echo \(request.text)")
            case (_, "/boom"): throw CancellationError()
            case (_, "/teapot"): throw Rejection(.init(code: 418), "short and stout")
            default: return .error(.notFound, "no page at \(request.path)")
            }
        }) { server in
            let health = try await server.request("GET", "/health?probe=lb")
            #expect(health.status == 200 && health.text == "ok from 127.0.0.1 lb")
            #expect(try await server.request("POST", "/echo", body: "hi").text == "echo hi")
            #expect(try await server.request("GET", "/nothing").status == 404)
            #expect(try await server.request("GET", "/boom").status == 500)
            #expect(try await server.request("GET", "/teapot").status == 418)
            #expect(try await server.request("GET", "/parties/porting/r2/address").text == "127.0.0.1")
            #expect(try await server.request("GET", "/parties/nobody/r2").status == 404)
            let (upgrade, _) = try await RawHTTPAnswer.exchange(port: server.port, Array(RawWebSocket.upgradeRequest("/health").utf8))
            #expect(upgrade.status == 404)
        }
    }

    @Test("connections(tagged:) with several tags returns the connections carrying all of them")
    func severalTags() async throws {
        try await withPortingServer { server in
            let both = try await server.webSocket("/parties/porting/t?_pk=both&tags=red,admin")
            let red = try await server.webSocket("/parties/porting/t?_pk=red&tags=red")
            let admin = try await server.webSocket("/parties/porting/t?_pk=admin&tags=admin,blue")
            for socket in [both, red, admin] { _ = try await socket.nextText() }
            try await red.send(text: "tagged red,admin")
            #expect(try await red.nextText() == "both")
            try await red.send(text: "tagged red")
            #expect(try await red.nextText() == "both,red")
            try await red.send(text: "tagged admin,blue")
            #expect(try await red.nextText() == "admin")
            try await red.send(text: "tagged ")
            #expect(try await red.nextText() == "admin,both,red")
        }
    }

    @Test("the client's address: the peer's, forwarding headers ignored; from a trusted proxy, the nearest untrusted forwarded address")
    func remoteAddress() async throws {
        let forwarded = [("X-Forwarded-For", "203.0.113.7, 10.1.2.3")]
        try await withPortingServer { server in
            #expect(try await server.request("GET", "/parties/porting/a/address", headers: forwarded).text == "127.0.0.1")
            let socket = try await server.webSocket("/parties/porting/a", headers: forwarded)
            #expect(try await socket.nextText() == "address 127.0.0.1")
        }
        try await withPortingServer(configure: { $0.trustedProxies = ["127.0.0.1", "10.0.0.0/8"] }) { server in
            #expect(try await server.request("GET", "/parties/porting/a/address", headers: forwarded).text == "203.0.113.7")
            let rfc7239 = [("Forwarded", #"for=192.0.2.60;proto=https, for="[2001:db8::1]:4711""#)]
            #expect(try await server.request("GET", "/parties/porting/a/address", headers: rfc7239).text == "2001:db8::1")
            #expect(try await server.request("GET", "/parties/porting/a/address").text == "127.0.0.1")
            let garbage = [("X-Forwarded-For", "not-an-address")]
            #expect(try await server.request("GET", "/parties/porting/a/address", headers: garbage).text == "127.0.0.1")
            let socket = try await server.webSocket("/parties/porting/a", headers: forwarded)
            #expect(try await socket.nextText() == "address 203.0.113.7")
        }
        var bad = PartyConfiguration()
        bad.trustedProxies = ["10.0.0.0/33"]
        #expect(throws: PartyError.self) { try bad.validateTrustedProxies() }
        await #expect(throws: PartyError.self) { _ = try await PartyTestServer.start(configuration: bad) { try $0.register(PortingRoom.self, as: "porting") } }
    }

    @Test("app-wide env and secrets reach room.env, a spawn's env overrides them, and no printout of the configuration shows a secret")
    func environment() async throws {
        var configuration = PartyConfiguration()
        configuration.env = ["region": "eu", "mode": "base"]
        configuration.secrets = ["apiToken": "s3cret-value"]
        configuration.control.apiKey = controlKey
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [dumped, "\(configuration)", String(reflecting: configuration), "\(configuration.secrets)"] {
            #expect(!text.contains("s3cret-value"))
        }
        #expect("\(configuration.secrets)".contains("apiToken"))
        let server = try await PartyTestServer.start(configuration: configuration) { try $0.register(PortingRoom.self, as: "porting") }
        try await server.shuttingDown { server in
            #expect(try await server.request("GET", "/parties/porting/plain/env").text == "apiToken=s3cret-value,mode=base,region=eu")
            let spawned = try await server.connect(["server": "porting", "spawn": ["env": ["mode": "spawned"]]])
            let name = try #require(spawned["name"]?.stringValue)
            #expect(try await server.request("GET", "/parties/porting/\(name)/env").text == "apiToken=s3cret-value,mode=spawned,region=eu")
        }
    }

    @Test("onError hears of protocol errors (invalid UTF-8, an oversized message) before the connection closes with their code")
    func protocolErrors() async throws {
        try await withPortingServer(configure: { $0.maxMessageSize = 64 }) { server in
            let name = "errors-\(UUID().uuidString.prefix(8))"
            let utf8 = try await RawWebSocket.open(port: server.port, path: "/parties/porting/\(name)")
            _ = try await utf8.waitForFrame("the greeting") { $0.opcode == WireFrame.text }
            try await utf8.sendFrame(WireFrame.text, [0x61, 0x80])
            #expect(try await utf8.waitForClose().code == 1007)
            let big = try await RawWebSocket.open(port: server.port, path: "/parties/porting/\(name)")
            _ = try await big.waitForFrame("the greeting") { $0.opcode == WireFrame.text }
            try await big.sendFrame(WireFrame.text, Array(repeating: 0x61, count: 100))
            #expect(try await big.waitForClose().code == 1009)
            try await waitUntil("onError saw both") {
                Set(Recorder.shared.events(name)) == ["protocol error 1007", "protocol error 1009"]
            }
        }
    }
}
