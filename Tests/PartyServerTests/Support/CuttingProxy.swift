import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of a port, whose open connections a test can cut at once
/// (both sides closed, as a network blip or a restarting proxy does).
final class CuttingProxy: Sendable {
    /// The port it listens on.
    let port: Int
    private let listener: any Channel
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let accepted = Atomic<Int>(0)

    private init(listener: any Channel) {
        self.listener = listener
        self.port = listener.localAddress?.port ?? 0
    }

    /// Starts a proxy to 127.0.0.1:`target`.
    static func start(to target: Int) async throws -> CuttingProxy {
        let box = Mutex<CuttingProxy?>(nil)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard let proxy = box.withLock({ $0 }) else { return inbound.close() }
                return proxy.join(inbound, to: target)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = CuttingProxy(listener: listener)
        box.withLock { $0 = proxy }
        return proxy
    }

    /// How many connections it accepted so far.
    var connections: Int { accepted.load(ordering: .relaxed) }

    /// Closes every connection open now (both sides); new ones are accepted as before.
    func cutAll() {
        for channel in open.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// Stops listening and cuts every connection.
    func stop() async throws {
        cutAll()
        try await listener.close()
    }

    private func join(_ inbound: any Channel, to target: Int) -> EventLoopFuture<Void> {
        accepted.add(1, ordering: .relaxed)
        track(inbound)
        return ClientBootstrap(group: inbound.eventLoop)
            .connect(host: "127.0.0.1", port: target)
            .flatMap { outbound in
                self.track(outbound)
                let toServer = Pipe(peer: outbound)
                let toClient = Pipe(peer: inbound)
                return inbound.pipeline.addHandler(toServer).flatMap { outbound.pipeline.addHandler(toClient) }.flatMap {
                    inbound.setOption(ChannelOptions.autoRead, value: true)
                }
            }
            .flatMapError { _ in inbound.close() }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in self.open.withLock { _ = $0.removeValue(forKey: id) } }
    }

    /// Writes what one side reads to the other; closes the other when this side closes.
    private final class Pipe: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel

        init(peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(Self.unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }
    }
}
