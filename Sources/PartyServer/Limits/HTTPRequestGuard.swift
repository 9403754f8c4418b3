import Logging
import NIOCore
import NIOHTTP1

/// Sits behind the HTTP request decoder of every connection until it upgrades, and answers a
/// request head the decoder refused as too large with 431 and a close.
final class HTTPRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxHeaderSize: Int
    private let logger: Logger
    private var responding = false
    private var refused = false

    init(maxHeaderSize: Int, logger: Logger) {
        self.maxHeaderSize = maxHeaderSize
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            responding = true
        case .end:
            responding = false
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
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
