import NIOCore
import NIOEmbedded
import NIOWebSocket
import PartyFuzzing
import PartyServer

/// libFuzzer's entry point for the WebSocket frame path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzFrames.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes the inbound WebSocket path the server runs: raw bytes (after the first, which sets
/// how many bytes arrive per read, 1–32) into NIO's `WebSocketFrameDecoder` and the server's
/// `FramingErrorHandler` in an `EmbeddedChannel`, then each frame into `InboundFrameProcessor`,
/// until the connection would close. Invariants: a text message is valid UTF-8; no message is
/// over the maximum size; a ping answered is at most 125 bytes; a close code read from the peer
/// is one that may be sent; a failure closes with 1002, 1007 or 1009; never a crash. Then the
/// input, read as a sequence of outbound frame kinds, is written: only the frames up to and
/// including the first close frame may leave.
@main
enum FuzzFrames {
    /// Small, so that inputs of a few hundred bytes reach the size limit (`Fuzz/run` caps inputs at 1 KiB).
    static let maxMessageSize = 256

    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static func check(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 32) + 1
        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageSize)))
            try channel.pipeline.syncOperations.addHandler(FramingErrorHandler())
        } catch {
            FuzzDriver.require(false, "pipeline setup failed: \(error)")
        }
        var processor = InboundFrameProcessor(maxMessageSize: maxMessageSize)
        var offset = 1
        var ended = false
        while offset < bytes.count, !ended {
            let end = min(offset + chunk, bytes.count)
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            } catch let error as FramingError {
                FuzzDriver.require(error.code == 1002 || error.code == 1009, "framing error closes with \(error.code)")
                ended = true
            } catch {
                FuzzDriver.require(false, "unexpected error \(error)")
            }
            offset = end
            while !ended, let frame = try? channel.readInbound(as: WebSocketFrame.self) {
                ended = check(processor.process(frame))
            }
        }
        checkOutbound(bytes)
        _ = try? channel.finish()
    }

    /// Writes up to 64 frames whose kinds the input picks; checks that nothing follows a close frame.
    private static func checkOutbound(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel(handler: FramingErrorHandler())
        let kinds: [WebSocketOpcode] = [.text, .binary, .pong, .connectionClose]
        let written = bytes.prefix(64).map { kinds[Int($0 % 4)] }
        for opcode in written {
            _ = try? channel.writeOutbound(WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer()))
        }
        var sent: [WebSocketOpcode] = []
        while let frame = try? channel.readOutbound(as: WebSocketFrame.self) {
            sent.append(frame.opcode)
        }
        let expected = written.firstIndex(of: .connectionClose).map { Array(written[...$0]) } ?? written
        FuzzDriver.require(sent == expected, "wrote \(written), sent \(sent)")
        _ = try? channel.finish()
    }

    /// Checks one action; returns whether the connection would close after it.
    private static func check(_ action: InboundFrameProcessor.Action) -> Bool {
        switch action {
        case .none:
            return false
        case .message(let message):
            FuzzDriver.require(message.count <= maxMessageSize, "message of \(message.count) bytes")
            if message.kind == .text {
                FuzzDriver.require(String(validating: message.bytes, as: UTF8.self) != nil, "text message \(message.bytes) is not UTF-8")
            }
            return false
        case .ping(let payload):
            FuzzDriver.require(payload.readableBytes <= 125, "ping of \(payload.readableBytes) bytes")
            return false
        case .close(let code, let reason):
            FuzzDriver.require(code.map(CloseCode.isValidOnWire) ?? true, "close code \(code ?? -1) accepted")
            FuzzDriver.require(reason.utf8.count <= 123, "close reason of \(reason.utf8.count) bytes")
            return true
        case .fail(let code, _):
            FuzzDriver.require([1002, 1007, 1009].contains(code), "failure closes with \(code)")
            return true
        }
    }
}
