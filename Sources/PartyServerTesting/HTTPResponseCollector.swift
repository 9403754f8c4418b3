import NIOCore
import NIOHTTP1

/// Collects one HTTP response from a NIOHTTP1 client pipeline into a ``TestHTTPResponse``.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<TestHTTPResponse>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    /// Creates a collector that completes `promise`.
    init(promise: EventLoopPromise<TestHTTPResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            promise.succeed(TestHTTPResponse(
                status: Int(head.status.code),
                reason: head.status.reasonPhrase,
                headers: head.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView)
            ))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TestWebSocketError.connectionClosed("the server closed the connection before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
