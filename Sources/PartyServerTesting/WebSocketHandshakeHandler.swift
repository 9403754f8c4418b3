import NIOCore
import NIOWebSocket

/// The first handler in a ``TestWebSocket`` pipeline: performs the HTTP/1.1 upgrade by hand,
/// then installs the WebSocket frame handlers and becomes a pass-through.
///
/// Its context is also where ``TestWebSocket/sendRaw(_:)`` writes, below the frame encoder.
final class WebSocketHandshakeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The pipeline name of this handler.
    static let name = "TestWebSocket.raw"

    /// Where the handshake is.
    private enum State {
        case awaitingHead(ByteBuffer)
        case readingBody(RawHTTPResponseHead, ByteBuffer)
        case upgraded
        case failed
    }

    private var state: State = .awaitingHead(ByteBuffer())
    private let requestKey: String
    private let maxFrameSize: Int
    private let events: WebSocketEventBuffer
    private let promise: EventLoopPromise<RawHTTPResponseHead>

    /// Creates a handler that completes `promise` with the 101 head or fails it.
    init(requestKey: String, maxFrameSize: Int, events: WebSocketEventBuffer, promise: EventLoopPromise<RawHTTPResponseHead>) {
        self.requestKey = requestKey
        self.maxFrameSize = maxFrameSize
        self.events = events
        self.promise = promise
    }

    /// The `Sec-WebSocket-Accept` value a server must send for `key`.
    static func expectedAccept(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        switch state {
        case .upgraded:
            context.fireChannelRead(data)
        case .failed:
            break
        case .awaitingHead(var buffer):
            state = .failed  // drop our reference so `buffer` is uniquely owned
            buffer.writeBuffer(&bytes)
            do {
                guard let head = try RawHTTPResponseHead.parse(from: &buffer) else {
                    state = .awaitingHead(buffer)
                    return
                }
                if head.status == 101 {
                    try upgrade(context: context, head: head, leftover: buffer)
                } else {
                    state = .readingBody(head, buffer)
                    finishBodyIfComplete(context: context)
                }
            } catch {
                fail(context: context, error: error)
            }
        case .readingBody(let head, var body):
            state = .failed
            body.writeBuffer(&bytes)
            state = .readingBody(head, body)
            finishBodyIfComplete(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead:
            state = .failed
            promise.fail(TestWebSocketError.connectionClosed("the server closed the connection before sending a complete upgrade response"))
        case .readingBody(let head, let body):
            reject(context: context, head: head, body: body)
        case .upgraded, .failed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .upgraded = state {
            context.fireErrorCaught(error)
        } else {
            fail(context: context, error: error)
        }
    }

    /// Called at the connect deadline: rejects with the partial body if one is being read, else fails with a timeout.
    func deadlinePassed(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead:
            fail(context: context, error: TestWebSocketError.timeout)
        case .readingBody(let head, let body):
            reject(context: context, head: head, body: body)
        case .upgraded, .failed:
            break
        }
    }

    /// Validates a 101 response, installs the frame handlers and feeds them any bytes after the head.
    private func upgrade(context: ChannelHandlerContext, head: RawHTTPResponseHead, leftover: ByteBuffer) throws {
        guard head.header("Upgrade")?.lowercased() == "websocket" else {
            throw TestWebSocketError.invalidHandshake("101 response has Upgrade: \(head.header("Upgrade") ?? "<missing>")")
        }
        guard head.headerContainsToken("Connection", "upgrade") else {
            throw TestWebSocketError.invalidHandshake("101 response has Connection: \(head.header("Connection") ?? "<missing>")")
        }
        let expected = Self.expectedAccept(forKey: requestKey)
        guard let accept = head.header("Sec-WebSocket-Accept"), accept == expected else {
            throw TestWebSocketError.invalidHandshake(
                "101 response has Sec-WebSocket-Accept: \(head.header("Sec-WebSocket-Accept") ?? "<missing>"), expected \(expected)"
            )
        }
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(WebSocketFrameEncoder())
        try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)))
        try pipeline.addHandler(WebSocketFrameHandler(events: events))
        state = .upgraded
        promise.succeed(head)
        if leftover.readableBytes > 0 {
            context.fireChannelRead(Self.wrapInboundOut(leftover))
        }
    }

    /// Rejects the upgrade once the body of a non-101 response is complete.
    private func finishBodyIfComplete(context: ChannelHandlerContext) {
        guard case .readingBody(let head, let body) = state else { return }
        if (100..<200).contains(head.status) || head.status == 204 || head.status == 304 {
            reject(context: context, head: head, body: ByteBuffer())
        } else if head.headerContainsToken("Transfer-Encoding", "chunked") {
            if RawHTTPResponseHead.decodeChunked(Array(body.readableBytesView)) != nil {
                reject(context: context, head: head, body: body)
            }
        } else if let lengthText = head.header("Content-Length"), let length = Int(lengthText) {
            if body.readableBytes >= length {
                reject(context: context, head: head, body: body.getSlice(at: body.readerIndex, length: length)!)
            }
        }
        // Otherwise the body ends when the connection closes (or at the deadline).
    }

    /// Fails the handshake with ``TestWebSocketError/upgradeRejected(status:headers:body:)`` and closes.
    private func reject(context: ChannelHandlerContext, head: RawHTTPResponseHead, body: ByteBuffer) {
        var bytes = Array(body.readableBytesView)
        if head.headerContainsToken("Transfer-Encoding", "chunked"), let decoded = RawHTTPResponseHead.decodeChunked(bytes) {
            bytes = decoded
        }
        state = .failed
        promise.fail(TestWebSocketError.upgradeRejected(
            status: head.status, headers: head.headers, body: String(decoding: bytes, as: UTF8.self)
        ))
        context.close(promise: nil)
    }

    /// Fails the handshake with `error` and closes the connection.
    private func fail(context: ChannelHandlerContext, error: any Error) {
        state = .failed
        promise.fail(error)
        context.close(promise: nil)
    }
}
