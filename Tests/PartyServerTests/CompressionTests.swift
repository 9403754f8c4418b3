import CompressNIO
import NIOCore
import NIOWebSocket
import PartyServer
import Testing

/// permessage-deflate's parts without sockets: the handshake agreement, the pooled compressor and
/// the bounded inflater, and how an outbound frame is encoded.
@Suite("permessage-deflate: negotiation and codec")
struct CompressionTests {
    let settings = PerMessageDeflate()

    @Test("A plain offer gets both no-context-takeover parameters and the full window")
    func plainOffer() throws {
        let agreed = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate"], settings: settings))
        #expect(agreed.response == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        #expect(agreed.serverWindowBits == 15)
    }

    @Test("A browser's offer (client_max_window_bits without a value) is accepted")
    func browserOffer() throws {
        let agreed = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate; client_max_window_bits"], settings: settings))
        #expect(agreed.serverWindowBits == 15)
        #expect(!agreed.response.contains("client_max_window_bits"))
    }

    @Test("server_max_window_bits is honoured; 8 is answered as 8 and compressed with 9", arguments: [("10", 10), ("\"12\"", 12), ("8", 9)])
    func serverWindowBits(offered: String, used: Int) throws {
        let offer = "permessage-deflate; server_max_window_bits=\(offered)"
        let agreed = try #require(DeflateNegotiation.negotiate(offers: [offer], settings: settings))
        #expect(agreed.serverWindowBits == used)
        let answered = offered.filter { $0 != "\"" }
        #expect(agreed.response.hasSuffix("; server_max_window_bits=\(answered)"))
    }

    @Test("A configured smaller window caps what a client asks for")
    func configuredWindow() throws {
        let small = PerMessageDeflate(maxWindowBits: 10)
        let agreed = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate; server_max_window_bits=14"], settings: small))
        #expect(agreed.serverWindowBits == 10)
        #expect(agreed.response.hasSuffix("server_max_window_bits=10"))
    }

    @Test(
        "Malformed offers are declined; the next acceptable one is taken",
        arguments: [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=20",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; unknown_parameter",
            "x-webkit-deflate-frame",
        ]
    )
    func malformedOffers(offer: String) throws {
        #expect(DeflateNegotiation.negotiate(offers: [offer], settings: settings) == nil)
        let agreed = try #require(DeflateNegotiation.negotiate(offers: ["\(offer), permessage-deflate; server_max_window_bits=11"], settings: settings))
        #expect(agreed.serverWindowBits == 11)
    }

    @Test("A message round-trips through the compressor and the inflater, and shrinks")
    func roundTrip() throws {
        let compressor = MessageCompressor(settings: settings)
        let text = String(repeating: #"{"cursor":[12,34],"user":"ada"} "#, count: 200)
        let message = ByteBuffer(string: text)
        let compressed = try #require(compressor.compress(message, windowBits: 15))
        #expect(compressed.readableBytes * 10 < message.readableBytes)
        #expect(MessageInflater().inflate(compressed, limit: 1 << 20) == .message(message))
    }

    @Test("Messages under the minimum size are not compressed")
    func minimumSize() {
        let compressor = MessageCompressor(settings: PerMessageDeflate(minimumSize: 256))
        #expect(compressor.compress(ByteBuffer(repeating: 65, count: 255), windowBits: 15) == nil)
        #expect(compressor.compress(ByteBuffer(repeating: 65, count: 256), windowBits: 15) != nil)
    }

    @Test("A broadcast frame's copies share one compression; another window gets its own")
    func sharedEncoding() throws {
        let compressor = MessageCompressor(settings: settings)
        let compression = ConnectionCompression(compressor: compressor, inflater: MessageInflater(), windowBits: 15)
        let smaller = ConnectionCompression(compressor: compressor, inflater: MessageInflater(), windowBits: 10)
        let message = ByteBuffer(string: String(repeating: "broadcast ", count: 100))
        let frame = OutboundFrame(kind: .text, data: message, encoding: SharedEncoding())
        let first = frame.webSocketFrame(compressedBy: compression)
        let copies = (0..<5).map { _ in frame.webSocketFrame(compressedBy: compression) }
        let address = { (buffer: ByteBuffer) in buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        for copy in copies {
            #expect(copy.data == first.data)
            #expect(address(copy.data) == address(first.data), "a copy was compressed again")
        }
        let other = frame.webSocketFrame(compressedBy: smaller)
        #expect(address(other.data) != address(first.data))
        #expect(MessageInflater().inflate(other.data, limit: 1 << 20) == .message(message))
        // Without a shared slot (a message sent to one connection), each send compresses.
        let single = OutboundFrame(kind: .text, data: message)
        let once = single.webSocketFrame(compressedBy: compression)
        let twice = single.webSocketFrame(compressedBy: compression)
        #expect(once.data == twice.data)
        #expect(address(once.data) != address(twice.data))
    }

    @Test("A compression bomb stops within one chunk of the limit")
    func bomb() throws {
        var zeros = ByteBuffer(repeating: 0, count: 64 << 20)
        let deflater = try ZlibCompressor(algorithm: .deflate)
        var compressed = ByteBufferAllocator().buffer(capacity: deflater.maxSize(from: zeros))
        try deflater.deflate(from: &zeros, to: &compressed, flush: .sync)
        #expect(compressed.readableBytes < 100_000, "64 MiB of zeros compress to \(compressed.readableBytes) bytes")
        let limit = 1 << 20
        let outcome = MessageInflater().inflate(compressed, limit: limit)
        guard case .tooBig(let inflated) = outcome else {
            Issue.record("expected tooBig, got \(outcome)")
            return
        }
        #expect(inflated > limit)
        #expect(inflated <= limit + MessageInflater.chunkSize)
    }

    @Test("Bytes that are not deflate data are reported as corrupt")
    func corrupt() {
        #expect(MessageInflater().inflate(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x12]), limit: 1 << 20) == .corrupt)
    }

    @Test("An empty compressed message inflates to an empty message")
    func empty() {
        // The single empty block a sender writes for an empty message (RFC 7692 §7.2.3.6).
        #expect(MessageInflater().inflate(ByteBuffer(bytes: [0x00]), limit: 10) == .message(ByteBuffer()))
        #expect(MessageInflater().inflate(ByteBuffer(), limit: 10) == .message(ByteBuffer()))
    }

    @Test("Outbound messages get RSV1 and a compressed payload; control frames never do")
    func outboundFrame() throws {
        let compression = ConnectionCompression(compressor: MessageCompressor(settings: settings), inflater: MessageInflater(), windowBits: 15)
        let text = String(repeating: "a message worth compressing ", count: 20)
        let frame = OutboundFrame(kind: .text, data: ByteBuffer(string: text)).webSocketFrame(compressedBy: compression)
        #expect(frame.rsv1)
        #expect(frame.opcode == .text)
        #expect(frame.data.readableBytes < text.utf8.count)
        #expect(MessageInflater().inflate(frame.data, limit: 1 << 20) == .message(ByteBuffer(string: text)))

        let ping = OutboundFrame(kind: .ping, data: ByteBuffer(repeating: 1, count: 100)).webSocketFrame(compressedBy: compression)
        #expect(!ping.rsv1)
        let small = OutboundFrame(kind: .binary, data: ByteBuffer(repeating: 1, count: 10)).webSocketFrame(compressedBy: compression)
        #expect(!small.rsv1)
        #expect(small.data == ByteBuffer(repeating: 1, count: 10))
    }
}
