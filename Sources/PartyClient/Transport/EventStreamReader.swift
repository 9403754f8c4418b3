import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One streamed HTTP GET whose body arrives piece by piece (a Server-Sent Events stream): the
/// response's status first, then the body's bytes as they come. Cancelling the consumer closes
/// the connection.
enum EventStreamReader {
    /// What the connection delivers, in order.
    enum Part: Sendable {
        case head(Int)
        case body(ByteBuffer)
    }

    /// Opens `request` (its body is ignored) and returns its parts; the stream ends with the
    /// response, or throws when the connection fails.
    static func open(_ request: HTTPExchange.Request) -> AsyncThrowingStream<Part, any Error> {
        let (parts, continuation) = AsyncThrowingStream.makeStream(of: Part.self)
        let slot = ChannelSlot()
        continuation.onTermination = { _ in slot.cancel() }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton.next())
            .connectTimeout(TimeAmount(request.connectTimeout))
            .channelInitializer { channel in
                guard slot.register(channel) else { return channel.eventLoop.makeFailedFuture(CancellationError()) }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = request.tls {
                        let isAddress = (try? SocketAddress(ipAddress: request.host, port: 0)) != nil
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : request.host))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(PartForwarder(continuation: continuation))
                }
            }
        bootstrap.connect(host: request.host, port: request.port).whenComplete { result in
            switch result {
            case .failure(let error):
                continuation.finish(throwing: error)
            case .success(let channel):
                var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.target)
                head.headers.add(name: "Host", value: request.authority)
                for (name, value) in request.headers { head.headers.add(name: name, value: value) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
        }
        return parts
    }

    /// Hands the response's parts to the stream.
    private final class PartForwarder: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        private let continuation: AsyncThrowingStream<Part, any Error>.Continuation

        init(continuation: AsyncThrowingStream<Part, any Error>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let head): continuation.yield(.head(Int(head.status.code)))
            case .body(let bytes): continuation.yield(.body(bytes))
            case .end:
                continuation.finish()
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish(throwing: TransportError.incompleteResponse)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }
}
