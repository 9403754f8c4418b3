import Foundation
import NIOCore
import NIOPosix

/// A client that completes a WebSocket upgrade and then vanishes without a close frame: a
/// plain close (FIN) or, with `reset`, SO_LINGER 0 (RST).
enum DroppedConnection {
    /// When the client drops the connection.
    enum Moment: Sendable {
        /// As soon as the 101 response head arrived (the server may still be registering it).
        case afterUpgrade
        /// Once the first frame after the 101 arrived (the room's welcome).
        case afterFirstFrame
    }

    /// Connects, upgrades `path` and drops the connection at `moment`.
    static func run(port: Int, path: String, moment: Moment, reset: Bool, timeout: Duration = .seconds(30)) async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Void.self)
        let request = RawWebSocket.upgradeRequest(path)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Watcher(request: request, moment: moment, promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) { promise.fail(ChannelError.connectTimeout(TimeAmount(timeout))) }
        defer { timer.cancel() }
        do {
            try await promise.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        if reset {
            try await (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try await channel.close()
    }

    /// The number of open file descriptors of this process.
    static func openFileDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    /// Writes the upgrade request when connected and completes `promise` at the moment to drop.
    private final class Watcher: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let request: String
        let moment: Moment
        let promise: EventLoopPromise<Void>
        private var received: [UInt8] = []
        private var done = false

        init(request: String, moment: Moment, promise: EventLoopPromise<Void>) {
            self.request = request
            self.moment = moment
            self.promise = promise
        }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(NIOAny(ByteBuffer(string: request)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            received += unwrapInboundIn(data).readableBytesView
            guard let headEnd = RawWebSocket.endOfHead(received) else { return }
            guard received.starts(with: Array("HTTP/1.1 101".utf8)) else {
                done = true
                promise.fail(ChannelError.inappropriateOperationForState)
                return
            }
            let frameBytes = received.count - headEnd
            switch moment {
            case .afterUpgrade:
                done = true
            case .afterFirstFrame:
                done = frameBytes >= 2 && frameBytes >= 2 + Int(received[headEnd + 1] & 0x7F)
            }
            if done { promise.succeed() }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.eof)
            context.fireChannelInactive()
        }
    }
}
