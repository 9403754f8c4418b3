import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A WebSocket client on raw TCP that completes the upgrade and then never answers anything: a
/// browser tab whose machine went to sleep, as the server sees it.
final class SilentPeer: Sendable {
    /// The client's end of the connection.
    let channel: any Channel
    private let received: Received

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    deinit { channel.close(promise: nil) }

    /// Connects to `path` and waits for the 101 answer.
    static func connect(port: Int, path: String) async throws -> SilentPeer {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let peer = SilentPeer(channel: channel, received: received)
        try await waitUntil("the upgrade was answered") { received.text.contains("\r\n\r\n") }
        try #require(received.text.hasPrefix("HTTP/1.1 101"), "upgrade refused: \(received.text)")
        return peer
    }

    /// Whether the server closed the connection.
    var isClosed: Bool { received.closed }

    /// Number of ping frames (`0x89`) received after the handshake (each is two bytes, empty payload).
    var pings: Int {
        let bytes = received.bytes
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return 0 }
        return bytes[end...].count(where: { $0 == 0x89 })
    }

    final class Received: Sendable {
        private let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
        var bytes: [UInt8] { state.withLock { $0.bytes } }
        var text: String { String(decoding: bytes, as: UTF8.self) }
        var closed: Bool { state.withLock { $0.closed } }
        func append(_ buffer: ByteBuffer) { state.withLock { $0.bytes += buffer.readableBytesView } }
        func markClosed() { state.withLock { $0.closed = true } }
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Received
        init(received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.markClosed()
            context.fireChannelInactive()
        }
    }
}
