import NIOCore
import NIOWebSocket

/// Carries a connection over a NIO channel: bounds the closing handshake and, for a client that
/// stopped reading, puts the close frame on the wire ahead of the backlog.
struct ChannelTransport: ConnectionTransport {
    let channel: any Channel
    let closeTimeout: Duration

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
}

extension ChannelTransport {
    /// Closes the channel now.
    func abort() {
        channel.close(promise: nil)
    }

    /// Waits until the channel is closed.
    func closed() async throws {
        try await channel.closeFuture.get()
    }
}

extension OutboundFrame {
    /// The NIO frame for this queued frame (server frames are never masked).
    var webSocketFrame: WebSocketFrame {
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
}
