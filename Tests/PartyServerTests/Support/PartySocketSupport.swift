#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import PartyClient
import PartyRooms
import PartyServer
import PartyServerTesting

/// Starts a test server with `Greeter` and the ready-made rooms (`chat`, `counter`), without a
/// message rate limit: the client tests send unpaced bursts (a queue flushed on open) whose
/// size depends on how fast the connection opens.
func startClientTestServer(port: Int = 0) async throws -> PartyTestServer {
    var configuration = PartyConfiguration()
    configuration.limits.messageRate = nil
    return try await PartyTestServer.start(configuration: configuration, port: port) { app in
        try app.register(Greeter.self)
        try ReadyMadeRooms.register(in: app)
    }
}

/// Runs `body` with a server from ``startClientTestServer(port:)``, then shuts it down.
func withClientTestServer<T: Sendable>(_ body: (PartyTestServer) async throws -> T) async throws -> T {
    try await startClientTestServer().shuttingDown(after: body)
}

/// A port on 127.0.0.1 that refuses connections: a socket is bound to it (the kernel's choice)
/// but never listens, and stays open for the rest of the test process, so no server started by
/// a test running in parallel can take the port.
func unusedPort() async throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RefusingPortError() }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        throw RefusingPortError()
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A refusing port could not be set up.
struct RefusingPortError: Error {}

/// Client options for room `room` of `party` on a test server at `port`, with a connection
/// timeout of 30 s so a busy machine does not turn a slow handshake into a retry.
func socketOptions(port: Int, party: String, room: String, id: String? = nil) -> PartySocketOptions {
    var options = PartySocketOptions(host: "127.0.0.1:\(port)", room: room, party: party)
    options.connectionTimeout = .seconds(30)
    if let id { options.id = id }
    return options
}
