#if os(Linux)
import CompressNIO
import Foundation
import NIOCore
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// permessage-deflate on a live server: with Python's `websockets` (a real client that offers it by
/// default) and with hand-made frames for what a well-behaved client never sends.
@Suite("permessage-deflate on a live server")
struct CompressionLiveTests {
    /// A server with the ready-made rooms (the `echo` room among them) and `maxMessageSize`.
    private func withEcho<T: Sendable>(
        maxMessageSize: Int = 1 << 20,
        compression: PerMessageDeflate? = PerMessageDeflate(),
        _ body: (PartyTestServer) async throws -> T
    ) async throws -> T {
        var configuration = PartyConfiguration(maxMessageSize: maxMessageSize, compression: compression)
        configuration.limits.messageRate = nil
        return try await PartyTestServer.withServer(configuration: configuration, { try ReadyMadeRooms.register(in: $0) }, body)
    }

    private func requireWebsockets() async throws {
        try #require(try await PythonClient.canImport("websockets"), "Python's websockets is missing: \(PythonClient.installHint)")
    }

    /// Checks the echoes a Python client reported: every message came back identical.
    private func expectEchoes(_ result: JSONValue) throws {
        let echoed = try #require(result["echoed"]?.arrayValue)
        #expect(echoed.count == 5)
        for echo in echoed {
            #expect(echo["same"]?.boolValue == true, "echo differs: \(echo)")
        }
    }

    @Test("Python websockets negotiates compression and every message round-trips", .timeLimit(.minutes(2)))
    func pythonRoundTrip() async throws {
        try await requireWebsockets()
        try await withEcho { server in
            let result = try await PythonClient.run("deflate_client.py", ["ws://127.0.0.1:\(server.port)/parties/echo/py", "roundtrip"])
            #expect(result["extensions"]?.stringValue == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
            try expectEchoes(result)
        }
    }

    @Test("A client that offers nothing gets uncompressed frames", .timeLimit(.minutes(2)))
    func pythonWithoutCompression() async throws {
        try await requireWebsockets()
        try await withEcho { server in
            // websockets without compression fails the connection on any frame with RSV1 set.
            let result = try await PythonClient.run("deflate_client.py", ["ws://127.0.0.1:\(server.port)/parties/echo/plain", "plain"])
            #expect(result["extensions"] == .null)
            try expectEchoes(result)
        }
    }

    @Test("With compression off, an offer is declined and messages still flow", .timeLimit(.minutes(2)))
    func compressionOff() async throws {
        try await requireWebsockets()
        try await withEcho(compression: nil) { server in
            let result = try await PythonClient.run("deflate_client.py", ["ws://127.0.0.1:\(server.port)/parties/echo/off", "roundtrip"])
            #expect(result["extensions"] == .null)
            try expectEchoes(result)
        }
    }

    @Test("A compressed message inflating past maxMessageSize closes with 1009", .timeLimit(.minutes(2)))
    func pythonBomb() async throws {
        try await requireWebsockets()
        try await withEcho(maxMessageSize: 1 << 20) { server in
            // 16 MiB of zeros: about 16 KiB on the wire, far under the frame limit.
            let result = try await PythonClient.run("deflate_client.py", ["ws://127.0.0.1:\(server.port)/parties/echo/bomb", "bomb", String(16 << 20)])
            #expect(result["close"]?["code"]?.intValue == 1009)
            #expect(result["close"]?["reason"]?.stringValue == "message inflates past 1048576 bytes")
        }
    }

    @Test("A broadcast to several compressing connections is compressed once", .timeLimit(.minutes(1)))
    func broadcastCompressedOnce() async throws {
        try await withEcho { server in
            var sockets: [TestWebSocket] = []
            defer { sockets.forEach { $0.disconnect() } }
            for _ in 0..<4 {
                sockets.append(
                    try await TestWebSocket.connect(
                        port: server.port, path: "/parties/chat/once", headers: [("Sec-WebSocket-Extensions", "permessage-deflate")]
                    )
                )
            }
            let text = String(repeating: #"{"cursor":[1,2]} "#, count: 60)
            try await sockets[0].send(text: text)
            for receiver in sockets.dropFirst() {
                // Compressed on the wire: this client does not inflate, so it sees other bytes.
                let received = try await receiver.nextMessage()
                #expect(received != .text(text))
            }
            let metrics = try await server.request("GET", "/metrics").text
            #expect(MetricsTests.value("partyserver_messages_compressed_total", in: metrics) == 1)
            #expect(MetricsTests.value("partyserver_compression_bytes_in_total", in: metrics) == Double(text.utf8.count))
            let out = try #require(MetricsTests.value("partyserver_compression_bytes_out_total", in: metrics))
            #expect(out > 0 && out < Double(text.utf8.count) / 5)
        }
    }

    // MARK: Hand-made frames

    /// `text` deflated as a client sends it: raw deflate, sync flush, the 00 00 FF FF tail removed.
    private func deflated(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let deflater = try ZlibCompressor(algorithm: .deflate)
        var output = ByteBufferAllocator().buffer(capacity: deflater.maxSize(from: input))
        try deflater.deflate(from: &input, to: &output, flush: .sync)
        let compressed = output.readableBytesView
        #expect(Array(compressed.suffix(4)) == [0, 0, 0xFF, 0xFF])
        return Array(compressed.dropLast(4))
    }

    private func connect(_ server: PartyTestServer, room: String, offer: Bool = true) async throws -> TestWebSocket {
        let headers = offer ? [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")] : []
        return try await TestWebSocket.connect(port: server.port, path: "/parties/echo/\(room)", headers: headers)
    }

    @Test("A compressed message split over frames (RSV1 on the first only) is inflated and echoed")
    func fragmentedCompressedMessage() async throws {
        try await withEcho { server in
            let socket = try await connect(server, room: "fragments")
            defer { socket.disconnect() }
            let answer = socket.handshakeHeaders.first { $0.0.lowercased() == "sec-websocket-extensions" }?.1
            #expect(answer == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
            // Under the 256-byte minimum, so the echo comes back uncompressed and readable here.
            let text = String(repeating: "fragmented ✓ ", count: 12)
            let compressed = try deflated(Array(text.utf8))
            let half = compressed.count / 2
            try await socket.sendFrame(opcode: 0x1, payload: Array(compressed[..<half]), fin: false, rsv: 0x40)
            try await socket.sendPing([7])
            try await socket.sendFrame(opcode: 0x0, payload: Array(compressed[half...]), fin: true)
            #expect(try await socket.nextText() == text)
            try await socket.close()
        }
    }

    @Test(
        "Reserved bits where permessage-deflate does not allow them close with 1002",
        arguments: [("continuation", true), ("ping", true), ("no offer", false)]
    )
    func misplacedRSV1(frame: String, offer: Bool) async throws {
        try await withEcho { server in
            let socket = try await connect(server, room: "rsv-\(frame.filter(\.isLetter))", offer: offer)
            defer { socket.disconnect() }
            let compressed = try deflated(Array("hello".utf8))
            switch frame {
            case "continuation":
                try await socket.sendFrame(opcode: 0x1, payload: compressed, fin: false, rsv: 0x40)
                try await socket.sendFrame(opcode: 0x0, payload: [], fin: true, rsv: 0x40)
            case "ping":
                try await socket.sendFrame(opcode: 0x9, payload: [1], rsv: 0x40)
            default:
                try await socket.sendFrame(opcode: 0x1, payload: compressed, rsv: 0x40)
            }
            let close = try await socket.waitForClose()
            #expect(close.code == 1002)
        }
    }

    @Test("A compressed message that is not deflate data closes with 1007")
    func corruptCompressedMessage() async throws {
        try await withEcho { server in
            let socket = try await connect(server, room: "corrupt")
            defer { socket.disconnect() }
            try await socket.sendFrame(opcode: 0x2, payload: [0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x34], rsv: 0x40)
            let close = try await socket.waitForClose()
            #expect(close.code == 1007)
            #expect(close.reason == "compressed message is not valid deflate data")
        }
    }

    @Test("A compressed text message that inflates to invalid UTF-8 closes with 1007")
    func compressedInvalidUTF8() async throws {
        try await withEcho { server in
            let socket = try await connect(server, room: "utf8")
            defer { socket.disconnect() }
            try await socket.sendFrame(opcode: 0x1, payload: try deflated([0x68, 0xC3, 0x28, 0x69]), rsv: 0x40)
            let close = try await socket.waitForClose()
            #expect(close.code == 1007)
        }
    }

    @Test("A small frame inflating past the limit closes with 1009, and the room keeps serving")
    func rawBomb() async throws {
        try await withEcho(maxMessageSize: 64 << 10) { server in
            let socket = try await connect(server, room: "bomb")
            defer { socket.disconnect() }
            let bomb = try deflated([UInt8](repeating: 0, count: 8 << 20))
            #expect(bomb.count < 64 << 10)
            try await socket.sendFrame(opcode: 0x2, payload: bomb, rsv: 0x40)
            let close = try await socket.waitForClose()
            #expect(close.code == 1009)
            #expect(close.reason == "message inflates past 65536 bytes")

            let next = try await connect(server, room: "bomb")
            defer { next.disconnect() }
            try await next.send(text: "still here")
            #expect(try await next.nextText() == "still here")
        }
    }
}
#endif
