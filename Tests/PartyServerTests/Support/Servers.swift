import PartyServer
import PartyServerTesting
import Testing

/// Starts a test server with every test room registered.
func withProbeServer<T: Sendable>(
    configuration: PartyConfiguration = PartyConfiguration(),
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    try await PartyTestServer.withServer(configuration: configuration, { app in
        try app.register(Probe.self)
        try app.register(FlakyStart.self)
        try app.register(GatedStart.self)
        try app.register(ChatRoom.self)
        try app.register(Bare.self)
    }, body)
}

/// The HTTP status of a refused upgrade, or `nil` if the upgrade succeeded.
func upgradeStatus(_ server: PartyTestServer, _ path: String, headers: [(String, String)] = []) async throws -> Int? {
    await upgradeError(server, path, headers: headers)?.status
}

/// The refusal of an upgrade (status and headers), or `nil` if the upgrade succeeded.
func upgradeError(_ server: PartyTestServer, _ path: String, headers: [(String, String)] = []) async -> (status: Int, headers: [(String, String)])? {
    do {
        let socket = try await server.webSocket(path, headers: headers)
        socket.disconnect()
        return nil
    } catch TestWebSocketError.upgradeRejected(let status, let headers, _) {
        return (status, headers)
    } catch {
        Issue.record("the upgrade failed without an HTTP answer: \(error)")
        return nil
    }
}

extension TestWebSocket {
    /// Waits until the server registered this connection with its room: the server answers pings
    /// only once `onConnect` has returned, so the pong proves it.
    func joined(timeout: Duration = .seconds(10)) async throws {
        try await sendPing([0x6A])
        while true {
            let event = try await next(timeout: timeout)
            if event == .pong([0x6A]) { return }
            guard case .ping = event else { throw TestWebSocketError.unexpected(event) }
        }
    }
}
