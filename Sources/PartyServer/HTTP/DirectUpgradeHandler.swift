import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Serves a well-formed WebSocket upgrade that reached the HTTP pipeline (one whose head the
/// opening handshake's own reader left to the HTTP decoder: a body length, a value outside
/// ASCII, and so on) and that its room accepts, without NIO's generic upgrader: it writes the
/// 101, swaps the HTTP handlers for the frame codec with synchronous pipeline operations and
/// starts the session. Everything else (a plain request, a malformed upgrade, a refusal, a
/// relayed upgrade, a connection over the limit) goes on, unchanged and in order, to NIO's
/// upgrade handler behind it, which then finds the decision already made.
///
/// Sits between the HTTP decoder and NIO's upgrade handler, on the channel's event loop.
final class DirectUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the decision made of a well-formed upgrade.
    enum Outcome: Sendable {
        /// Accepted: serve it here, answering with these extension headers (permessage-deflate).
        case accept(WebSocketSession, extensions: String?)
        /// Anything else: NIO's upgrader takes the request, and the decision with it.
        case passOn
    }

    /// What this handler serves.
    struct Setup {
        /// Decides a well-formed upgrade (off the event loop); the future completes on it.
        let decide: (HTTPRequestHead) -> EventLoopFuture<Outcome>
        /// Starts the session once the pipeline carries WebSocket frames.
        let start: (WebSocketSession) throws -> Void
        /// The upgrade failed half-way (the channel went away): the negotiation ends with `error`.
        let failed: (any Error) -> Void
        /// The HTTP handlers that go when the connection upgrades: the response encoder, NIO's
        /// upgrade handler (which saw nothing), the request guard.
        let httpHandlers: [any RemovableChannelHandler]
        /// The request decoder: the frame decoder takes its place, and the bytes it still holds.
        let decoder: any RemovableChannelHandler
        /// Names of further handlers to remove (the parse-error handler).
        let namedHandlers: [String]
        /// The largest frame the decoder accepts.
        let maxFrameSize: Int
    }

    private enum State {
        case awaitingHead
        /// The head is being decided; the parts that follow wait here.
        case deciding([NIOAny])
        /// Not ours: everything goes on to NIO's upgrade handler.
        case passedOn
        /// Upgraded here.
        case upgraded
    }

    private let setup: Setup
    private var state = State.awaitingHead
    /// Whether this handler upgraded the connection (NIO's upgrade handler then never decides).
    private(set) var tookOver = false

    init(_ setup: Setup) {
        self.setup = setup
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .awaitingHead:
            guard case .head(let head) = unwrapInboundIn(data), Self.isWellFormedWebSocketUpgrade(head) else {
                passOn(context: context, [data])
                return
            }
            state = .deciding([data])
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            setup.decide(head).whenComplete { result in
                let (handler, context) = loopBound.value
                handler.decided(result, head: head, context: context)
            }
        case .deciding(var waiting):
            waiting.append(data)
            state = .deciding(waiting)
        case .passedOn:
            context.fireChannelRead(data)
        case .upgraded:
            // The decoder is gone once upgraded; nothing more arrives here.
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .deciding = state {
            // The peer left while the room decided: NIO's handler, which saw no request, ends the
            // negotiation; the decision, when it comes, is dropped (with its seat).
            state = .passedOn
        }
        context.fireChannelInactive()
    }

    /// Hands `parts` (the head first) to NIO's upgrade handler and leaves the pipeline.
    private func passOn(context: ChannelHandlerContext, _ parts: [NIOAny]) {
        state = .passedOn
        for part in parts { context.fireChannelRead(part) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func decided(_ result: Result<Outcome, any Error>, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .deciding(let waiting) = state else { return }
        guard context.channel.isActive else {
            state = .passedOn
            return
        }
        guard case .success(.accept(let session, let extensions)) = result else {
            passOn(context: context, waiting)
            return
        }
        do {
            try upgrade(session, extensions: extensions, head: head, context: context)
        } catch {
            // The channel went away between the checks: the session never started (its seat is
            // given back with it).
            setup.failed(error)
            context.close(promise: nil)
        }
    }

    private func upgrade(_ session: WebSocketSession, extensions: String?, head: HTTPRequestHead, context: ChannelHandlerContext) throws {
        state = .upgraded
        tookOver = true
        var headers = HTTPHeaders([("upgrade", "websocket"), ("connection", "upgrade")])
        headers.add(name: "sec-websocket-accept", value: Self.acceptValue(for: head.headers.first(name: "sec-websocket-key") ?? ""))
        if let extensions { headers.add(name: "sec-websocket-extensions", value: extensions) }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))), promise: nil)

        let operations = context.pipeline.syncOperations
        for handler in setup.httpHandlers { operations.removeHandler(handler, promise: nil) }
        for name in setup.namedHandlers { context.pipeline.removeHandler(name: name, promise: nil) }
        // The frame codec takes the decoder's place; the session's handler goes last.
        try operations.addHandlers(
            [ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: setup.maxFrameSize)), WebSocketFrameEncoder()],
            position: .after(setup.decoder)
        )
        try setup.start(session)
        operations.removeHandler(context: context, promise: nil)
        // Bytes that came after the request (frames sent early) go on to the frame decoder.
        operations.removeHandler(setup.decoder, promise: nil)
    }

    /// Whether `head` asks for a WebSocket and meets every rule of the opening handshake.
    static func isWellFormedWebSocketUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers["upgrade"].contains { HandshakeCheck.hasToken("websocket", in: $0) } && HandshakeCheck.refusal(for: head) == nil
    }

    /// `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2): the base64 SHA-1 of the key and the
    /// protocol's GUID.
    static func acceptValue(for key: String) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array(key.utf8))
        hasher.update(data: webSocketGUID)
        return Data(hasher.finalize()).base64EncodedString()
    }

    /// The GUID RFC 6455 appends to a key before hashing it.
    private static let webSocketGUID = Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)
}
