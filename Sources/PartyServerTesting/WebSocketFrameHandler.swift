import NIOCore
import NIOWebSocket

/// The last handler in a ``TestWebSocket`` pipeline: turns frames into events, answers pings,
/// echoes the server's close frame and records the disconnect.
final class WebSocketFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let events: WebSocketEventBuffer
    /// Whether a close frame has been written (by the user or as an echo).
    private var closeSent = false
    /// The first frame's opcode and the payload so far of a fragmented message.
    private var partialMessage: (opcode: WebSocketOpcode, payload: [UInt8])?

    /// Creates a handler that records into `events`.
    init(events: WebSocketEventBuffer) {
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        var buffer = frame.unmaskedData
        let payload = buffer.readBytes(length: buffer.readableBytes) ?? []

        switch frame.opcode {
        case .text, .binary:
            // A new data frame while a fragmented message is pending is a server bug; the partial message is dropped.
            if frame.fin {
                partialMessage = nil
                emitMessage(opcode: frame.opcode, payload: payload)
            } else {
                partialMessage = (frame.opcode, payload)
            }
        case .continuation:
            guard var message = partialMessage else { return }  // stray continuation: ignored
            message.payload.append(contentsOf: payload)
            if frame.fin {
                partialMessage = nil
                emitMessage(opcode: message.opcode, payload: message.payload)
            } else {
                partialMessage = message
            }
        case .ping:
            if !closeSent {
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: ByteBuffer(bytes: payload))
                context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
            }
            events.append(.ping(payload))
        case .pong:
            events.append(.pong(payload))
        case .connectionClose:
            var code: Int?
            var reason = ""
            if payload.count >= 2 {
                code = Int(payload[0]) << 8 | Int(payload[1])
                reason = String(decoding: payload[2...], as: UTF8.self)
            }
            if !closeSent {
                closeSent = true
                var echo = ByteBuffer()
                if let code { echo.writeInteger(UInt16(truncatingIfNeeded: code)) }
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
            }
            events.append(.close(code: code, reason: reason))
        default:
            break  // reserved opcodes carry no event
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if Self.unwrapOutboundIn(data).opcode == .connectionClose {
            closeSent = true
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.markDisconnected()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Undecodable input (e.g. an oversized or malformed frame): drop the connection.
        context.close(promise: nil)
    }

    /// Records a complete text or binary message.
    private func emitMessage(opcode: WebSocketOpcode, payload: [UInt8]) {
        if opcode == .text {
            events.append(.text(String(decoding: payload, as: UTF8.self)))
        } else {
            events.append(.binary(payload))
        }
    }
}
