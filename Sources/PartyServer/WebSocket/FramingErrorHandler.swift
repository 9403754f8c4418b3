import NIOCore
import NIOWebSocket

/// Turns errors of the frame decoder (over the size limit, malformed control frames) into a
/// `FramingError` the session answers with a close frame, in order after the frames decoded
/// before it; discards what the peer sends after that. On the way out, lets through at most
/// one close frame and nothing after it (RFC 6455 §5.5.1), whichever part of the server sends it.
/// In front of a relayed connection; a session served here keeps the same `FramingState` in its
/// own handler (one handler fewer per connection).
package final class FramingErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = WebSocketFrame
    package typealias InboundOut = WebSocketFrame
    package typealias OutboundIn = WebSocketFrame
    package typealias OutboundOut = WebSocketFrame

    private var state = FramingState()

    package init() {}

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.failed else { return }
        context.fireChannelRead(data)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let reported = state.report(error) { context.fireErrorCaught(reported) }
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state.mayWrite(unwrapOutboundIn(data).opcode) else {
            // The closing handshake has started: nothing may follow our close frame.
            promise?.succeed()
            return
        }
        context.write(data, promise: promise)
    }

    /// The close code for a decoder error: 1009 for an oversized frame, 1002 otherwise.
    package static func closeCode(for error: NIOWebSocketError) -> Int {
        error == .invalidFrameLength ? CloseCode.messageTooBig : CloseCode.protocolError
    }
}

/// A frame the decoder rejected; the session closes the connection with `code`.
package struct FramingError: Error, CustomStringConvertible, Sendable {
    package let code: Int
    package let underlying: NIOWebSocketError

    package var description: String {
        code == CloseCode.messageTooBig ? "frame exceeds the maximum message size" : "malformed frame (\(underlying))"
    }
}
