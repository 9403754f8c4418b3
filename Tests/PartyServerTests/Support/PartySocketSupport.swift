import NIOCore
import NIOPosix
import PartyClient
import PartyRooms
import PartyServer
import PartyServerTesting

/// Starts a test server with `Greeter` and the ready-made rooms (`chat`, `counter`).
func startClientTestServer(port: Int = 0) async throws -> PartyTestServer {
    try await PartyTestServer.start(port: port) { app in
        try app.register(Greeter.self)
        try ReadyMadeRooms.register(in: app)
    }
}

/// Runs `body` with a server from ``startClientTestServer(port:)``, then shuts it down.
func withClientTestServer<T: Sendable>(_ body: (PartyTestServer) async throws -> T) async throws -> T {
    let server = try await startClientTestServer()
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A port on 127.0.0.1 where nothing listens: bound once by the kernel's choice, then released.
func unusedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Client options for room `room` of `party` on a test server at `port`, with a connection
/// timeout of 30 s so a busy machine does not turn a slow handshake into a retry.
func socketOptions(port: Int, party: String, room: String, id: String? = nil) -> PartySocketOptions {
    var options = PartySocketOptions(host: "127.0.0.1:\(port)", room: room, party: party)
    options.connectionTimeout = .seconds(30)
    if let id { options.id = id }
    return options
}
