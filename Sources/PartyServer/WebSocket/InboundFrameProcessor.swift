import NIOCore
import NIOWebSocket

/// Turns inbound WebSocket frames into messages and protocol actions, enforcing RFC 6455:
/// masking, reserved bits and opcodes, control-frame rules, fragmentation, the message size
/// limit and UTF-8 validity of text messages and close reasons; with permessage-deflate
/// negotiated, inflates compressed messages (RSV1 on their first frame) within the same limit.
/// No I/O.
package struct InboundFrameProcessor {
    /// What the session must do for a frame.
    package enum Action: Equatable {
        /// Nothing (a fragment was buffered, or a pong arrived).
        case none
        /// A complete message for the room.
        case message(Message)
        /// Answer with a pong carrying this payload.
        case ping(ByteBuffer)
        /// The peer sent a close frame (code `nil` when it carried none).
        case close(code: Int?, reason: String)
        /// The peer broke the protocol: close with `code`.
        case fail(code: Int, reason: String)
    }

    /// Largest message accepted, in bytes, after reassembling fragments.
    package let maxMessageSize: Int
    /// Inflates compressed messages; nil when the handshake negotiated no compression.
    package let inflater: MessageInflater?
    private var fragmentKind: Message.Kind?
    private var fragmentsCompressed = false
    private var fragments = ByteBuffer()

    package init(maxMessageSize: Int, inflater: MessageInflater? = nil) {
        self.maxMessageSize = maxMessageSize
        self.inflater = inflater
    }

    /// Processes one frame read from the peer.
    package mutating func process(_ frame: WebSocketFrame) -> Action {
        guard frame.maskKey != nil else {
            return .fail(code: CloseCode.protocolError, reason: "client frames must be masked")
        }
        // RSV1 marks a compressed message: allowed only on the first frame of a data message, and
        // only when permessage-deflate was negotiated (RFC 7692 §6).
        let compressed = frame.rsv1 && inflater != nil && (frame.opcode == .text || frame.opcode == .binary)
        guard frame.reservedBits.subtracting(compressed ? .rsv1 : []).isEmpty else {
            return .fail(code: CloseCode.protocolError, reason: "reserved bits set without a negotiated extension")
        }
        switch frame.opcode {
        case .text, .binary:
            guard fragmentKind == nil else {
                return .fail(code: CloseCode.protocolError, reason: "new message started before the fragmented one finished")
            }
            let kind: Message.Kind = frame.opcode == .text ? .text : .binary
            let data = FrameUnmasking.payload(of: frame)
            guard data.readableBytes <= maxMessageSize else {
                return .fail(code: CloseCode.messageTooBig, reason: "message exceeds \(maxMessageSize) bytes")
            }
            if frame.fin {
                return complete(kind: kind, data: data, compressed: compressed)
            }
            fragmentKind = kind
            fragmentsCompressed = compressed
            fragments = data
            return .none
        case .continuation:
            guard let kind = fragmentKind else {
                return .fail(code: CloseCode.protocolError, reason: "continuation frame without a message to continue")
            }
            guard fragments.readableBytes + frame.data.readableBytes <= maxMessageSize else {
                fragmentKind = nil
                fragments = ByteBuffer()
                return .fail(code: CloseCode.messageTooBig, reason: "message exceeds \(maxMessageSize) bytes")
            }
            FrameUnmasking.append(frame, to: &fragments)
            guard frame.fin else { return .none }
            let message = fragments
            fragmentKind = nil
            fragments = ByteBuffer()
            return complete(kind: kind, data: message, compressed: fragmentsCompressed)
        case .ping:
            guard frame.fin, frame.length <= 125 else {
                return .fail(code: CloseCode.protocolError, reason: "control frames must be unfragmented and at most 125 bytes")
            }
            return .ping(FrameUnmasking.payload(of: frame))
        case .pong:
            guard frame.fin, frame.length <= 125 else {
                return .fail(code: CloseCode.protocolError, reason: "control frames must be unfragmented and at most 125 bytes")
            }
            return .none
        case .connectionClose:
            guard frame.fin, frame.length <= 125 else {
                return .fail(code: CloseCode.protocolError, reason: "control frames must be unfragmented and at most 125 bytes")
            }
            return Self.parseClose(FrameUnmasking.payload(of: frame))
        default:
            return .fail(code: CloseCode.protocolError, reason: "reserved opcode 0x\(String(UInt8(webSocketOpcode: frame.opcode), radix: 16, uppercase: true))")
        }
    }

    private func complete(kind: Message.Kind, data: ByteBuffer, compressed: Bool) -> Action {
        var data = data
        if compressed, let inflater {
            switch inflater.inflate(data, limit: maxMessageSize) {
            case .message(let inflated):
                data = inflated
            case .tooBig:
                return .fail(code: CloseCode.messageTooBig, reason: "message inflates past \(maxMessageSize) bytes")
            case .corrupt:
                return .fail(code: CloseCode.invalidPayload, reason: "compressed message is not valid deflate data")
            }
        }
        if kind == .text {
            let valid = data.readableBytesView.withUnsafeBytes { UTF8Validation.isValid($0) }
            guard valid else {
                return .fail(code: CloseCode.invalidPayload, reason: "text message is not valid UTF-8")
            }
        }
        return .message(Message(kind: kind, buffer: data))
    }

    /// Parses a close frame payload: empty, or a valid code followed by a UTF-8 reason.
    static func parseClose(_ payload: ByteBuffer) -> Action {
        var payload = payload
        if payload.readableBytes == 0 { return .close(code: nil, reason: "") }
        guard let raw = payload.readInteger(as: UInt16.self) else {
            return .fail(code: CloseCode.protocolError, reason: "close frame payload of one byte")
        }
        let code = Int(raw)
        guard CloseCode.isValidOnWire(code) else {
            return .fail(code: CloseCode.protocolError, reason: "invalid close code \(code)")
        }
        let valid = payload.readableBytesView.withUnsafeBytes { UTF8Validation.isValid($0) }
        guard valid else {
            return .fail(code: CloseCode.invalidPayload, reason: "close reason is not valid UTF-8")
        }
        return .close(code: code, reason: String(buffer: payload))
    }
}

extension InboundFrameProcessor.Action {
    /// Whether the frame costs the sender a token: a complete message or a ping (each makes the
    /// server work); pongs, fragments and the close do not.
    var takesToken: Bool {
        switch self {
        case .message, .ping: true
        case .none, .close, .fail: false
        }
    }
}
