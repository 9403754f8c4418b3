import NIOCore
import NIOWebSocket

extension TestWebSocket {
    /// Sends a single, final, masked text frame.
    public func send(text: String) async throws {
        try await send(frame: WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
    }

    /// Sends a single, final, masked binary frame.
    public func send(binary: [UInt8]) async throws {
        try await send(frame: WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: binary)))
    }

    /// Sends a masked ping frame with `payload`.
    public func sendPing(_ payload: [UInt8] = []) async throws {
        try await send(frame: WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(bytes: payload)))
    }

    /// Sends `frame` as is (unmasked `data`); it is masked with a random key unless `masked` is false.
    ///
    /// A frame that already has a `maskKey` keeps it when `masked` is true. Sending a close frame here
    /// (even an empty one) counts as having sent close, so the server's close is then not echoed.
    public func send(frame: WebSocketFrame, masked: Bool = true) async throws {
        var frame = frame
        if !masked {
            frame.maskKey = nil
        } else if frame.maskKey == nil {
            frame.maskKey = .random()
        }
        try await channel.writeAndFlush(frame)
    }

    /// Sends a frame built from raw fields; `opcode` may be any 4-bit value, `rsv` holds the RSV1–3 bits (0x40, 0x20, 0x10).
    public func sendFrame(
        opcode: UInt8,
        payload: [UInt8],
        fin: Bool = true,
        rsv: UInt8 = 0,
        masked: Bool = true
    ) async throws {
        guard let code = WebSocketOpcode(encodedWebSocketOpcode: opcode & 0x0F) else { return }
        var frame = WebSocketFrame(fin: fin, opcode: code, data: ByteBuffer(bytes: payload))
        frame.reservedBits = WebSocketFrame.ReservedBits(rawValue: rsv & 0x70)
        try await send(frame: frame, masked: masked)
    }

    /// Writes `bytes` straight onto the TCP stream, bypassing the frame encoder.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(name: WebSocketHandshakeHandler.name)
                return context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// Sends a masked close frame carrying `code` and `reason` (the server's reply arrives as a `.close` event).
    public func close(code: Int = 1000, reason: String = "") async throws {
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(truncatingIfNeeded: code))
        payload.writeString(reason)
        try await send(frame: WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
    }
}
