import NIOCore
import NIOWebSocket

/// Carries a connection over a NIO channel: tells the session's handler, on the event loop, that
/// frames wait; bounds the closing handshake; and, for a client that stopped reading, puts the
/// close frame on the wire ahead of the backlog.
final class ChannelTransport: ConnectionTransport {
    let channel: any Channel
    /// The session's handler, set once it is in the pipeline.
    let handler: NIOLoopBoundBox<WebSocketSessionHandler?>
    let closeTimeout: Duration

    init(channel: any Channel, handler: NIOLoopBoundBox<WebSocketSessionHandler?>, closeTimeout: Duration) {
        self.channel = channel
        self.handler = handler
        self.closeTimeout = closeTimeout
    }

    func outputReady() {
        let handler = self.handler
        if channel.eventLoop.inEventLoop {
            handler.value?.writeQueued()
        } else {
            channel.eventLoop.execute { handler.value?.writeQueued() }
        }
    }

    func connectionDidStartClosing(urgent: OutboundFrame?) {
        let channel = self.channel
        if let urgent {
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: urgent.data)
            channel.writeAndFlush(frame, promise: nil)
        }
        let timeout = TimeAmount.nanoseconds(Int64(closeTimeout.components.seconds) * 1_000_000_000 + closeTimeout.components.attoseconds / 1_000_000_000)
        channel.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    /// Closes the channel now.
    func abort() {
        channel.close(promise: nil)
    }
}

extension OutboundFrame {
    /// The NIO frame for this queued frame (server frames are never masked).
    package var webSocketFrame: WebSocketFrame {
        let opcode: WebSocketOpcode =
            switch kind {
            case .text: .text
            case .binary: .binary
            case .ping: .ping
            case .pong: .pong
            case .close: .connectionClose
            }
        return WebSocketFrame(fin: true, opcode: opcode, data: data)
    }

    /// The NIO frame for this queued frame, its payload compressed (RSV1 set) when it is a
    /// message that compression shrinks.
    package func webSocketFrame(compressedBy compression: ConnectionCompression) -> WebSocketFrame {
        guard kind == .text || kind == .binary else { return webSocketFrame }
        let compressor = compression.compressor
        let windowBits = compression.windowBits
        let data = self.data
        let compressed =
            if let encoding {
                encoding.value(variant: windowBits) { compressor.compress(data, windowBits: windowBits) }
            } else {
                compressor.compress(data, windowBits: windowBits)
            }
        guard let compressed else { return webSocketFrame }
        return WebSocketFrame(fin: true, rsv1: true, opcode: kind == .text ? .text : .binary, data: compressed)
    }
}
