import NIOCore
import NIOWebSocket

/// Records, on the event loop, that a WebSocket frame arrived (any frame: pongs and messages
/// alike), and whether the server is holding reads back because the room is busy. It sits before
/// the frames are queued for the room, so a slow hook never makes a healthy peer look silent.
final class WebSocketActivityHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let activity: ConnectionActivity

    init(activity: ConnectionActivity) {
        self.activity = activity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.markActive()
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Until the next read is let through, the channel reads nothing from the peer.
        activity.isReadPaused = true
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        activity.isReadPaused = false
        context.read()
    }
}
