import PartyServer
import PartyServerTesting

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
    do {
        let socket = try await server.webSocket(path, headers: headers)
        socket.disconnect()
        return nil
    } catch TestWebSocketError.upgradeRejected(let status, _, _) {
        return status
    }
}
