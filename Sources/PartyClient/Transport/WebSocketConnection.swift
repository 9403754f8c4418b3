import NIOCore
import NIOWebSocket

/// One open WebSocket connection: writes messages and the close frame, and reports what arrives
/// as ``events`` (which end when the TCP connection closes).
final class WebSocketConnection: Sendable {
    /// What arrives, in order; ends when the connection is closed.
    let events: AsyncStream<WireEvent>
    private let channel: any Channel
    private let flag: OpenFlag

    init(channel: any Channel, events: AsyncStream<WireEvent>, flag: OpenFlag) {
        self.channel = channel
        self.events = events
        self.flag = flag
    }

    /// Whether messages written now can still reach the server (no close frame sent or received).
    var isOpen: Bool { flag.isOpen && channel.isActive }

    /// Writes `message` as one masked frame. Calls made one after another go out in that order.
    func send(_ message: PartySocketMessage) {
        let frame: WebSocketFrame
        switch message {
        case .text(let text):
            frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
        case .binary(let data):
            frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: channel.allocator.buffer(bytes: data))
        }
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Starts the closing handshake with `code` and `reason`; the TCP connection closes when the
    /// server answers, or after the close timeout.
    func close(code: Int, reason: String) {
        var payload = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.writeInteger(UInt16(code))
        payload.writeString(reason)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload), promise: nil)
    }

    /// Closes the TCP connection without a closing handshake.
    func abort() {
        channel.close(promise: nil)
    }
}
