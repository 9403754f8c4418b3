import Foundation
import NIOCore
import NIOHTTP1

/// Reads one HTTP response for `fetch`: head and body up to a limit, then closes the connection.
final class HTTPResponseReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<PartyFetchResponse>
    private let limit: Int
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    /// Completes `promise` with the response, or fails it with ``TransportError`` or the I/O error.
    init(promise: EventLoopPromise<PartyFetchResponse>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= limit else {
                fail(context: context, TransportError.tooLarge(limit))
                return
            }
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            promise.succeed(PartyFetchResponse(
                status: Int(head.status.code),
                headers: head.headers.map { ($0.name, $0.value) },
                body: Data(body.readableBytesView)
            ))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TransportError.incompleteResponse)  // no-op once the response is complete
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
