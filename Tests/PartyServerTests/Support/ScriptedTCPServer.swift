import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 that is not a WebSocket server: on its first read from a client it
/// writes `reply` and closes, or, with no reply, it reads and ignores everything.
final class ScriptedTCPServer: Sendable {
    /// The port it listens on.
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts listening on a free port.
    static func start(reply: String?) async throws -> ScriptedTCPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Responder(reply: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedTCPServer(channel: channel)
    }

    /// Stops listening.
    func stop() async throws {
        try await channel.close()
    }

    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let reply: String?
        init(reply: String?) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let reply else { return }
            let channel = context.channel
            context.writeAndFlush(NIOAny(ByteBuffer(string: reply))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
