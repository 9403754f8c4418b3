import NIOCore

/// A frame waiting in a connection's outbound queue.
package struct OutboundFrame: Sendable {
    /// What kind of frame this is.
    package enum Kind: UInt8, Sendable {
        case text, binary, ping, pong, close
    }

    package var kind: Kind
    package var data: ByteBuffer
    /// Shared by the copies of a broadcast frame, so its encoding is made once; nil otherwise.
    package var encoding: SharedEncoding?

    package init(kind: Kind, data: ByteBuffer, encoding: SharedEncoding? = nil) {
        self.kind = kind
        self.data = data
        self.encoding = encoding
    }

    /// A close frame with `code` and `reason` (reason truncated to fit the 125-byte control frame limit).
    package static func close(code: Int, reason: String) -> OutboundFrame {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(truncatingIfNeeded: code))
        buffer.writeString(CloseCode.truncatedReason(reason))
        return OutboundFrame(kind: .close, data: buffer)
    }
}

extension Message {
    /// The frame kind that carries this message.
    var frameKind: OutboundFrame.Kind { kind == .text ? .text : .binary }
}
