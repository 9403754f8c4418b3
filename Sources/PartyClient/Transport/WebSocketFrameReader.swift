import Foundation
import NIOCore
import NIOWebSocket

/// The last handler of an upgraded connection: turns frames into ``WireEvent``s, answers pings,
/// answers the server's close frame and closes the TCP connection once the closing handshake is
/// done (or `closeTimeout` after our close frame, if the server never answers).
final class WebSocketFrameReader: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<WireEvent>.Continuation
    private let open: OpenFlag
    private let closeTimeout: TimeAmount
    private var closeSent = false
    private var closeReceived = false

    /// Reports into `continuation`; clears `open` once the connection stops taking messages.
    init(continuation: AsyncStream<WireEvent>.Continuation, open: OpenFlag, closeTimeout: TimeAmount) {
        self.continuation = continuation
        self.open = open
        self.closeTimeout = closeTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            continuation.yield(.message(.text(payload.readString(length: payload.readableBytes) ?? "")))
        case .binary:
            continuation.yield(.message(.binary(Data(payload.readableBytesView))))
        case .ping where !closeSent:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            closeReceived = true
            open.clear()
            let code = payload.readInteger(as: UInt16.self).map(Int.init) ?? 1005
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            continuation.yield(.closeFrame(code: code, reason: reason))
            if closeSent {
                context.close(promise: nil)
            } else {
                closeSent = true
                var echo = context.channel.allocator.buffer(capacity: 2)
                if code != 1005 { echo.writeInteger(UInt16(code)) }
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                let channel = context.channel
                context.writeAndFlush(Self.wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
            }
        default:
            break  // pongs, and pings once we are closing
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if Self.unwrapOutboundIn(data).opcode == .connectionClose, !closeSent {
            closeSent = true
            open.clear()
            let channel = context.channel
            context.eventLoop.scheduleTask(in: closeTimeout) { channel.close(promise: nil) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        open.clear()
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !closeReceived { continuation.yield(.failure("\(error)")) }
        context.close(promise: nil)
    }
}
