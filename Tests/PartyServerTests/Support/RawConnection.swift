import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection for tests that need to write exact bytes and read what comes back.
final class RawConnection: Sendable {
    let channel: any Channel
    let received: Received

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    /// Connects to 127.0.0.1:`port`.
    static func connect(port: Int) async throws -> RawConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, received: received)
    }

    /// Writes `text` as is.
    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received so far.
    var text: String { received.text }

    /// Whether the peer closed the connection.
    var isClosed: Bool { received.closed }

    /// Closes the connection.
    func close() {
        channel.close(promise: nil)
    }

    final class Received: Sendable {
        private let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
        var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        var bytes: [UInt8] { state.withLock { $0.bytes } }
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
