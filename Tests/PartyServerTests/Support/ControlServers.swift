import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// The API key of the control test servers.
let controlKey = "test-control-key-\(UInt32.random(in: 0...UInt32.max))"

/// Starts a server with the control API on (key `controlKey`), the `Session` room and the
/// durable test rooms, on `clock` if given; runs `body`, then shuts it down gracefully.
func withControlServer<T: Sendable>(
    clock: ManualClock? = nil,
    apiKey: String? = controlKey,
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    try await startControlServer(clock: clock, apiKey: apiKey, configure: { _ in }).shuttingDown(after: body)
}

/// `withControlServer` with the configuration adjusted by `configure` first.
func withControlServer<T: Sendable>(
    clock: ManualClock? = nil,
    apiKey: String? = controlKey,
    configure: (inout PartyConfiguration) -> Void,
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    try await startControlServer(clock: clock, apiKey: apiKey, configure: configure).shuttingDown(after: body)
}

/// Starts a control test server (see `withControlServer`); the caller shuts it down.
func startControlServer(
    clock: ManualClock? = nil,
    apiKey: String? = controlKey,
    configure: (inout PartyConfiguration) -> Void = { _ in }
) async throws -> PartyTestServer {
    var configuration = PartyConfiguration()
    configuration.control.apiKey = apiKey
    if let clock { configuration.clock = clock }
    configure(&configuration)
    return try await PartyTestServer.start(configuration: configuration) { app in
        try app.register(Session.self)
        try app.register(Notebook.self)
        try app.register(Scratch.self)
    }
}

extension PartyTestServer {
    /// Sends a control API request with the API key (or `key`, or none when `key` is empty).
    func control(_ method: String, _ path: String, json: JSONValue? = nil, key: String = controlKey, headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        var headers = headers
        if !key.isEmpty { headers.append(("Authorization", "Bearer \(key)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try await request(method, "/_party\(path)", headers: headers, body: json?.jsonText)
    }

    /// `POST /_party/connect` with `body`; expects 200 and returns the answer.
    func connect(_ body: JSONValue, path: String = "/connect", sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let response = try await control("POST", path, json: body)
        #expect(response.status == 200, "connect answered \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try JSONValue.parse(response.text)
    }

    /// `GET /_party/rooms/SERVER/NAME/status`, parsed.
    func roomStatus(_ server: String, _ name: String) async throws -> JSONValue {
        try JSONValue.parse(try await control("GET", "/rooms/\(server)/\(name)/status").text)
    }

    /// Opens the status stream of a room.
    func statusStream(_ server: String, _ name: String, lastEventID: String? = nil) async throws -> EventStreamClient {
        var headers = [("Authorization", "Bearer \(controlKey)")]
        if let lastEventID { headers.append(("Last-Event-ID", lastEventID)) }
        return try await EventStreamClient.open(port: port, path: "/_party/rooms/\(server)/\(name)/status/stream", headers: headers)
    }

    /// Opens a WebSocket to the `url` of a connect answer (with `?token=` when `token` is given).
    func webSocket(answer: JSONValue, token: String? = nil) async throws -> TestWebSocket {
        let url = try #require(answer["url"]?.stringValue)
        return try await TestWebSocket.connect(url: token.map { "\(url)?token=\($0)" } ?? url)
    }
}

/// Statuses of a room's activation as the status endpoint reports them, polled until `condition`.
func waitForStatus(_ server: PartyTestServer, _ room: String, _ status: String, on type: String = "session") async throws {
    try await eventually("\(type)/\(room) reaches \(status)", timeout: .seconds(15), interval: .milliseconds(10)) {
        let current = try await server.roomStatus(type, room)
        return current["status"]?.stringValue == status ? .done(()) : .pending("\(current)")
    }
}
