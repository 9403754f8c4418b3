import NIOCore
import NIOWebSocket

/// Answers frames the decoder cannot parse (over the size limit, malformed control frames) with
/// a close frame, then shuts our side of the TCP connection while still reading and discarding
/// what the peer sends, so the peer reads the close frame instead of a connection reset.
final class FramingErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failed {
            // The decoder keeps reporting the bytes it now discards; they need no answer.
            return
        }
        guard let webSocketError = error as? NIOWebSocketError else {
            context.fireErrorCaught(error)
            return
        }
        failed = true
        let code = Self.closeCode(for: webSocketError)
        var data = context.channel.allocator.buffer(capacity: 2)
        data.writeInteger(UInt16(code))
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
            loopBound.value.close(mode: .output, promise: nil)
        }
        context.fireErrorCaught(FramingError(code: code, underlying: webSocketError))
    }

    /// The close code for a decoder error: 1009 for an oversized frame, 1002 otherwise.
    static func closeCode(for error: NIOWebSocketError) -> Int {
        error == .invalidFrameLength ? CloseCode.messageTooBig : CloseCode.protocolError
    }
}

/// A frame the decoder rejected; the close frame with `code` has already been sent.
struct FramingError: Error, CustomStringConvertible {
    let code: Int
    let underlying: NIOWebSocketError

    var description: String {
        code == CloseCode.messageTooBig ? "frame exceeds the maximum message size" : "malformed frame (\(underlying))"
    }
}
