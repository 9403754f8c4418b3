import Testing

/// A WebSocket client on raw TCP that completes the upgrade and then never answers anything: a
/// browser tab whose machine went to sleep, as the server sees it.
final class SilentPeer: Sendable {
    /// The client's end of the connection.
    let connection: RawConnection

    private init(connection: RawConnection) {
        self.connection = connection
    }

    deinit { connection.close() }

    /// Connects to `path` and waits for the 101 answer.
    static func connect(port: Int, path: String) async throws -> SilentPeer {
        let connection = try await RawConnection.connect(port: port)
        let peer = SilentPeer(connection: connection)
        try await connection.write(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        try await waitUntil("the upgrade was answered") { connection.text.contains("\r\n\r\n") }
        try #require(connection.text.hasPrefix("HTTP/1.1 101"), "upgrade refused: \(connection.text)")
        return peer
    }

    /// Whether the server closed the connection.
    var isClosed: Bool { connection.isClosed }

    /// Number of ping frames (`0x89`) received after the handshake (each is two bytes, empty payload).
    var pings: Int {
        let bytes = connection.received.bytes
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return 0 }
        return bytes[end...].count(where: { $0 == 0x89 })
    }
}
