import Foundation
@testable import PartyClient
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

/// `PartyControl`, the Swift client of the control API, against a live server.
@Suite("PartyControl: the control API client")
struct PartyControlClientTests {
    /// The error `body` throws (nil when it returns).
    private func failure(_ body: () async throws -> Void) async -> PartyControlError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? PartyControlError
        }
    }

    /// The HTTP error `body` throws (nil when it returns or fails otherwise).
    private func httpError(_ body: () async throws -> Void) async -> PartyControl.HTTPError? {
        guard case .http(let answer) = await failure(body) else { return nil }
        return answer
    }

    private func client(_ port: Int, key: String = controlKey) throws(PartyControlError) -> PartyControl {
        try PartyControl(url: "http://127.0.0.1:\(port)", apiKey: key, reconnectDelay: .milliseconds(20))
    }

    @Test("connect, status, waitUntilReady and terminate; non-2xx answers are HTTPError with status, body and code")
    func requests() async throws {
        try await withControlServer { server in
            let control = try client(server.port)
            let request = PartyConnectRequest(
                server: "session", key: "table-1", spawn: .options(PartySpawnOptions(tag: "v1", maxIdle: .seconds(60), env: ["mode": "ranked"])),
                user: "ada", auth: ["team": "red"]
            )
            let room = try await control.connect(request)
            #expect(room.spawned && room.backendID == "session/\(room.name)" && room.key == "table-1")
            #expect(room.secretToken == nil)
            let token = try #require(room.token)
            let socket = try await TestWebSocket.connect(url: "\(room.url)?token=\(token)")
            #expect(try await socket.nextText() == #"hello ada {"team":"red"}"#)
            try await socket.send(text: "env")
            #expect(try await socket.nextText() == "mode=ranked")

            let again = try await control.connect(PartyConnectRequest(server: "session", key: "table-1"))
            #expect(!again.spawned && again.backendID == room.backendID)
            #expect(try await control.waitUntilReady(room.backendID).status == .ready)
            #expect(try await control.status(room.backendID).status == .ready)

            let unheld = await httpError { _ = try await control.connect(PartyConnectRequest(server: "session", key: "nope", spawn: .never)) }
            #expect(unheld?.status == 409 && unheld?.code == "key-unheld" && unheld?.body.contains("nope") == true)
            let wrongKey = await httpError { _ = try await client(server.port, key: "wrong").status(room.backendID) }
            #expect(wrongKey?.status == 401)
            let unknown = await httpError { _ = try await control.status("session/nobody") }
            #expect(unknown?.status == 404 && unknown?.code == "unknown-room")

            let ended = try await control.terminate(room.backendID, hard: true)
            #expect(ended.status == .terminated && ended.terminationReason == "external" && ended.terminationKind == "hard" && ended.exitError == false)
            #expect(try await socket.next() == .disconnected)
        }
    }

    @Test("configuration from the environment, and clear errors for what is missing or malformed")
    func environment() async throws {
        #expect(throws: PartyControlError.self) { try PartyControl.fromEnvironment([:]) }
        #expect(throws: PartyControlError.self) { try PartyControl.fromEnvironment(["PARTYSERVER_URL": "http://127.0.0.1:1"]) }
        #expect(throws: PartyControlError.self) { try PartyControl(url: "ftp://x", apiKey: "k") }
        #expect(throws: PartyControlError.self) { try PartyControl(url: "http://x/path", apiKey: "k") }
        try await withControlServer { server in
            let control = try PartyControl.fromEnvironment(["PARTYSERVER_URL": "http://127.0.0.1:\(server.port)", "PARTYSERVER_API_KEY": controlKey])
            let room = try await control.connect(PartyConnectRequest(server: "session"))
            #expect(room.spawned)
            guard case .invalidConfiguration(let detail) = await failure({ _ = try await control.status("no-slash") }) else {
                Issue.record("a backend id without a server type was accepted")
                return
            }
            #expect(detail.contains("server/name"))
        }
        // Nothing listens there: unreachable, not an HTTP error.
        let closed = try await ScriptedTCPServer.start(reply: nil)
        let port = closed.port
        try await closed.stop()
        let refused = await failure { _ = try await PartyControl(url: "http://127.0.0.1:\(port)", apiKey: "k").status("a/b") }
        guard case .unreachable(let url, _) = refused else {
            Issue.record("a closed port answered: \(String(describing: refused))")
            return
        }
        #expect(url.hasSuffix("/_party/rooms/a/b/status"))
    }

    @Test("statusStream replays earlier statuses, reconnects when the stream is cut, and calls back exactly once per status")
    func statusStreamAcrossCuts() async throws {
        try await withControlServer { server in
            let proxy = try await CuttingProxy.start(to: server.port)
            let control = try client(proxy.port)
            let gate = "stream-\(UUID().uuidString)"
            let room = try await control.connect(PartyConnectRequest(server: "session", spawn: .options(PartySpawnOptions(env: ["gate": gate]))))
            let seen = Mutex<[PartyBackendState]>([])
            let watcher = Task {
                try await control.statusStream(room.backendID) { status in seen.withLock { $0.append(status.status) } }
            }
            try await waitUntil("the earlier statuses were replayed") { seen.withLock { $0.last == .starting } }
            proxy.cutAll()
            try await waitUntil("the stream reconnected") { proxy.connections >= 2 }
            await TestGates.shared.gate(gate).open()
            try await waitUntil("ready arrived") { seen.withLock { $0.last == .ready } }
            proxy.cutAll()
            // Terminated while the stream may be down: the reconnection replays what it missed.
            _ = try await server.control("POST", "/rooms/\(room.backendID)/terminate", json: [:])
            try await watcher.value
            #expect(seen.withLock { $0 } == [.scheduled, .loading, .starting, .ready, .terminating, .terminated])
            #expect(proxy.connections >= 3)
            try await proxy.stop()
        }
    }

    @Test("match reserves a seat in a room whose metadata matches, or creates one")
    func match() async throws {
        var configuration = PartyConfiguration()
        configuration.control.apiKey = controlKey
        let server = try await PartyTestServer.start(configuration: configuration) { try $0.register(Duel.self) }
        try await server.shuttingDown { server in
            let control = try client(server.port)
            let first = try await control.match(server: "duel", metadata: ["mode": "duel"], user: "ada")
            let second = try await control.match(server: "duel", metadata: ["mode": "duel"])
            #expect(first.room.spawned && !second.room.spawned && second.room.backendID == first.room.backendID)
            #expect(first.room.url.hasSuffix("?seat=\(first.seat)") && first.room.token != nil && first.seat != second.seat)
            let socket = try await TestWebSocket.connect(url: "\(first.room.url)&token=\(first.room.token ?? "")")
            try await socket.close()
        }
    }

    @Test("statusStream of an unknown room fails at once with 404")
    func statusStreamUnknown() async throws {
        try await withControlServer { server in
            let unknown = await httpError { try await client(server.port).statusStream("session/nobody") { _ in } }
            #expect(unknown?.status == 404)
        }
    }

    @Test("the event stream parser splits events across chunks, CRLF and CR line ends, comments and multi-line data")
    func parser() {
        var parser = EventStreamParser()
        var events: [EventStreamParser.Event] = []
        for chunk in [": keep-alive\n\nid: 1.1\r\nda", "ta: {\"a\":1}\r\n\r", "\nid: 1.2\rdata: x\rdata: y\r\r", "data: no id\n\n"] {
            events += parser.feed(ByteBuffer(string: chunk))
        }
        #expect(events == [.init(id: "1.1", data: #"{"a":1}"#), .init(id: "1.2", data: "x\ny"), .init(id: nil, data: "no id")])
        #expect(EventPosition("2.10")! > EventPosition("2.9")! && EventPosition("3.1")! > EventPosition("2.10")!)
        #expect(EventPosition("x.1") == nil)
    }
}
