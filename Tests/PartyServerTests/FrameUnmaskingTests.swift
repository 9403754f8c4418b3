import NIOCore
import NIOWebSocket
@testable import PartyServer
import Testing

/// The server's word-wise unmasking gives exactly what NIO's byte-wise unmasking gives.
@Suite("Frame unmasking")
struct FrameUnmaskingTests {
    @Test("Every length from 0 to 40 and a large payload, at any reader offset, match NIO's unmasking")
    func matchesNIO() {
        var generator = SystemRandomNumberGenerator()
        for count in Array(0...40) + [4099] {
            for offset in [0, 3] {
                let bytes = (0..<(count + offset)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                var data = ByteBuffer(bytes: bytes)
                data.moveReaderIndex(forwardBy: offset)
                let key = WebSocketMaskingKey((0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) })!
                let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: key, data: data)
                #expect(FrameUnmasking.payload(of: frame) == frame.unmaskedData, "length \(count), offset \(offset)")
                var appended = ByteBuffer(string: "prefix")
                FrameUnmasking.append(frame, to: &appended)
                #expect(appended.readableBytesView.dropFirst(6).elementsEqual(frame.unmaskedData.readableBytesView))
            }
        }
    }

    @Test("An unmasked frame's payload is returned as it is")
    func unmasked() {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "plain"))
        #expect(FrameUnmasking.payload(of: frame) == ByteBuffer(string: "plain"))
    }
}
