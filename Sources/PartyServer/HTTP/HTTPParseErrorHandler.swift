import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Answers bytes that are not HTTP/1.1 with 400 while a connection's first request is read, before
/// the upgrade decision (Hummingbird answers parse errors only once a connection serves plain
/// HTTP; before that the connection would stay open with no answer). Logs one line, shuts our
/// side, discards what else arrives, and closes after `closeTimeout` unless the peer closes first.
/// A peer that hangs up in the middle of its request gets no answer and one debug line.
final class HTTPParseErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The handler's name in the pipeline.
    static let name = "party.http-parse-errors"

    private let logger: Logger
    private let remote: String
    private let closeTimeout: TimeAmount
    private let reported: NIOLockedValueBox<Bool>

    /// `reported` becomes true once a parse error was logged (so nothing else logs about it).
    init(logger: Logger, remote: String, closeTimeout: TimeAmount, reported: NIOLockedValueBox<Bool>) {
        self.logger = logger
        self.remote = remote
        self.closeTimeout = closeTimeout
        self.reported = reported
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if reported.withLockedValue({ $0 }) {
            // The decoder keeps reporting the bytes it now discards; they need no answer.
            return
        }
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        reported.withLockedValue { $0 = true }
        if parseError == .invalidEOFState {
            logger.debug("connection closed before its first request was complete", metadata: ["remote": "\(remote)"])
            context.close(promise: nil)
            return
        }
        logger.info("refused bytes that are not an HTTP/1.1 request", metadata: ["remote": "\(remote)", "error": "\(error)"])
        let response = Response.error(.badRequest, "malformed HTTP/1.1 request")
        var headers = HTTPHeaders()
        for field in response.headers {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(mode: .output, promise: nil)
        }
        let channel = context.channel
        context.eventLoop.scheduleTask(in: closeTimeout) {
            channel.close(promise: nil)
        }
    }
}
