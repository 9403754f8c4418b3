import Logging
import NIOCore
import NIOHTTP1

/// Sits behind the HTTP request decoder of every connection that gets the HTTP pipeline (a plain
/// WebSocket upgrade never does: `OpeningHandshakeHandler` reports its head to the same record),
/// until it upgrades: tells the liveness sweeper whether a request is awaited (the idle timeout
/// runs, against slowloris) or being answered, and answers a request head the decoder refused
/// as too large with 431 and a close.
final class HTTPRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let activity: ConnectionActivity
    private let maxHeaderSize: Int
    private let logger: Logger
    private var requestsReceived = 0
    private var responsesSent = 0
    private var responding = false
    private var refused = false

    init(activity: ConnectionActivity, maxHeaderSize: Int, logger: Logger) {
        self.activity = activity
        self.maxHeaderSize = maxHeaderSize
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            requestsReceived += 1
            activity.phase = .handlingRequest
            activity.hasPartialRequest = false
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if activity.phase == .awaitingRequest { activity.hasPartialRequest = true }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            responding = true
        case .end:
            responding = false
            responsesSent += 1
            if responsesSent >= requestsReceived {
                activity.phase = .awaitingRequest
                activity.markActive()
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            if !refused { context.fireErrorCaught(error) }
            return
        }
        guard !refused else { return }
        refused = true
        logger.info(
            "refused a request head over maxHeaderSize with 431",
            metadata: [
                "limit": "maxHeaderSize", "bytes": "\(maxHeaderSize)", "status": "431",
                "remote": "\(context.remoteAddress.map { "\($0)" } ?? "-")",
            ]
        )
        let loopBound = context.loopBound
        guard !responding else {
            context.close(promise: nil)
            return
        }
        let response = Response.error(
            .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
            "request target and header fields exceed \(maxHeaderSize) bytes"
        )
        var headers = HTTPHeaders()
        for field in response.headers {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "content-length", value: String(response.body.readableBytes))
        headers.add(name: "connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: 431), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        // Shut only our side: the rest of the head is still read (and discarded by the failed
        // decoder), so the peer reads the 431 instead of a connection reset.
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(mode: .output, promise: nil)
        }
    }
}
