import PartyServer
import PartyServerTesting
import Testing

/// Bytes sent on an upgraded connection and the close code they must get.
struct FrameCase: Sendable, CustomTestStringConvertible {
    let name: String
    let code: Int
    /// Send the bytes in the same write as the upgrade request instead of after the 101.
    var pipelined = false
    /// The reason the close frame must carry, when the case checks it.
    var reason: String?
    let bytes: @Sendable () -> [UInt8]

    var testDescription: String { "\(name) → \(code)" }

    private static func frame(_ opcode: UInt8, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true) -> [UInt8] {
        WireFrame.encode(opcode: opcode, payload: payload, fin: fin, rsv: rsv, masked: masked)
    }

    private static func text(_ string: String, fin: Bool = true) -> [UInt8] { frame(WireFrame.text, Array(string.utf8), fin: fin) }

    /// Frames that break the framing rules of RFC 6455: close with 1002.
    static let protocolErrors: [FrameCase] = [
        FrameCase(name: "unmasked text frame", code: 1002, reason: "client frames must be masked") { frame(WireFrame.text, Array("hi".utf8), masked: false) },
        FrameCase(name: "unmasked binary frame", code: 1002) { frame(WireFrame.binary, [1, 2, 3], masked: false) },
        FrameCase(name: "unmasked ping", code: 1002) { frame(WireFrame.ping, [7], masked: false) },
        FrameCase(name: "unmasked close frame", code: 1002) { frame(WireFrame.close, WireFrame.closePayload(code: 1000), masked: false) },
        FrameCase(name: "RSV1 without an extension", code: 1002) { frame(WireFrame.text, Array("hi".utf8), rsv: 0x40) },
        FrameCase(name: "RSV2 without an extension", code: 1002) { frame(WireFrame.binary, [1], rsv: 0x20) },
        FrameCase(name: "RSV3 on a ping", code: 1002) { frame(WireFrame.ping, [], rsv: 0x10) },
        FrameCase(name: "reserved data opcode 0x3", code: 1002, reason: "reserved opcode 0x3") { frame(0x3, [1]) },
        FrameCase(name: "reserved data opcode 0x7", code: 1002) { frame(0x7, []) },
        FrameCase(name: "reserved control opcode 0xB", code: 1002, reason: "reserved opcode 0xB") { frame(0xB, [1]) },
        FrameCase(name: "reserved control opcode 0xF", code: 1002) { frame(0xF, []) },
        FrameCase(name: "continuation without a message", code: 1002) { frame(WireFrame.continuation, Array("x".utf8)) },
        FrameCase(name: "text frame inside a fragmented text message", code: 1002) { text("echo:a", fin: false) + text("b") },
        FrameCase(name: "binary frame inside a fragmented binary message", code: 1002) {
            frame(WireFrame.binary, [1], fin: false) + frame(WireFrame.binary, [2])
        },
        FrameCase(name: "fragmented ping", code: 1002) { frame(WireFrame.ping, [1], fin: false) + frame(WireFrame.continuation, [2]) },
        FrameCase(name: "fragmented close", code: 1002) { frame(WireFrame.close, WireFrame.closePayload(code: 1000), fin: false) },
        FrameCase(name: "ping of 126 bytes", code: 1002) { frame(WireFrame.ping, Array(repeating: 0x70, count: 126)) },
        FrameCase(name: "pong of 126 bytes", code: 1002) { frame(WireFrame.pong, Array(repeating: 0x70, count: 126)) },
        FrameCase(name: "close of 126 bytes", code: 1002) {
            frame(WireFrame.close, WireFrame.closePayload(code: 1000, reason: Array(repeating: 0x72, count: 124)))
        },
        FrameCase(name: "close payload of one byte", code: 1002) { frame(WireFrame.close, [0x03]) },
        FrameCase(name: "a violation followed at once by a malformed frame", code: 1002) {
            frame(WireFrame.text, Array("hi".utf8), masked: false) + frame(WireFrame.ping, Array(repeating: 0x70, count: 200))
        },
        FrameCase(name: "an HTTP request sent again after the upgrade", code: 1002) {
            Array(RawWebSocket.upgradeRequest("/parties/probe/again", headers: ["X-Padding: " + String(repeating: "p", count: 40)]).utf8)
        },
        FrameCase(name: "binary garbage after the upgrade", code: 1002) { (0..<64).map { UInt8($0) } },
        FrameCase(name: "garbage in the same write as the upgrade request", code: 1002, pipelined: true) { (0..<64).map { UInt8($0) } },
    ] + [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map { code in
        FrameCase(name: "close code \(code)", code: 1002) { frame(WireFrame.close, WireFrame.closePayload(code: code)) }
    }

    /// Payloads that are not valid UTF-8 where text is required: close with 1007.
    static let invalidUTF8: [FrameCase] = [
        FrameCase(name: "lone continuation byte in text", code: 1007) { frame(WireFrame.text, [0x61, 0x80]) },
        FrameCase(name: "overlong encoding in text", code: 1007) { frame(WireFrame.text, [0xC0, 0xAF]) },
        FrameCase(name: "UTF-16 surrogate in text", code: 1007) { frame(WireFrame.text, [0xED, 0xA0, 0x80]) },
        FrameCase(name: "code point above U+10FFFF in text", code: 1007) { frame(WireFrame.text, [0xF4, 0x90, 0x80, 0x80]) },
        FrameCase(name: "text ending inside a sequence", code: 1007) { frame(WireFrame.text, [0x68, 0xC3]) },
        FrameCase(name: "invalid byte in the last fragment", code: 1007) {
            text("echo:ok", fin: false) + frame(WireFrame.continuation, [0xFF])
        },
        FrameCase(name: "invalid close reason", code: 1007) { frame(WireFrame.close, WireFrame.closePayload(code: 1000, reason: [0xFF, 0xFE])) },
        FrameCase(name: "invalid text followed at once by a malformed frame", code: 1007) {
            frame(WireFrame.text, [0xFF]) + frame(WireFrame.ping, Array(repeating: 0x70, count: 200))
        },
        FrameCase(name: "close reason ending inside a sequence", code: 1007) {
            frame(WireFrame.close, WireFrame.closePayload(code: 1000, reason: [0xE2, 0x82]))
        },
    ]

    /// Frame headers declaring more than the maximum message size: close with 1009 at once.
    static let oversized: [FrameCase] = [
        FrameCase(name: "text frame header declaring 2^63 - 1 bytes", code: 1009) {
            [0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]
        },
        FrameCase(name: "binary frame header declaring 1 MiB + 1 bytes", code: 1009) {
            [0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 1, 1, 2, 3, 4]
        },
    ]
}

extension BadInputTests {
    @Test("frames that break RFC 6455 close with 1002, then the TCP connection ends", arguments: FrameCase.protocolErrors)
    func protocolErrorFrames(_ frameCase: FrameCase) async throws {
        try await expectClose(frameCase)
    }

    @Test("invalid UTF-8 in text messages and close reasons closes with 1007", arguments: FrameCase.invalidUTF8)
    func invalidUTF8Frames(_ frameCase: FrameCase) async throws {
        try await expectClose(frameCase)
    }

    @Test("a frame header over the maximum message size closes with 1009 before its payload arrives", arguments: FrameCase.oversized)
    func oversizedFrames(_ frameCase: FrameCase) async throws {
        try await expectClose(frameCase)
    }

    /// Sends the case's bytes on a fresh connection and checks the single close frame, its code,
    /// the end of the connection, the one log line and `onClose`.
    private func expectClose(_ frameCase: FrameCase) async throws {
        try await BadInputHarness.run { harness in
            let room = uniqueRoom("bad")
            let marker = Self.marker("frame")
            let path = "/parties/probe/\(room)?_pk=\(marker)"
            let socket: RawWebSocket
            if frameCase.pipelined {
                socket = try await RawWebSocket.open(port: harness.port, path: path, trailing: frameCase.bytes())
            } else {
                socket = try await RawWebSocket.open(port: harness.port, path: path)
                try await socket.waitForFrame("the welcome message") { $0.opcode == WireFrame.text }
                try await socket.send(frameCase.bytes())
            }
            let ending = try await socket.waitForClose()
            #expect(ending.code == frameCase.code, "\(frameCase.name): \(ending.closeFrames)")
            if let reason = frameCase.reason {
                #expect(ending.closeFrames.first?.text.dropFirst(2) == Substring(reason), "\(ending.closeFrames)")
            }
            #expect(ending.closeFrames.count == 1, "\(frameCase.name): \(ending.closeFrames)")
            #expect(ending.framesAfterClose.isEmpty, "\(frameCase.name): \(ending.framesAfterClose)")
            #expect(ending.disconnected)
            try await harness.expectOneLine(mentioning: marker)
            try await waitUntil("onClose ran for \(marker)") {
                Recorder.shared.events(room).contains { $0.hasPrefix("close \(marker) \(frameCase.code) ") && $0.hasSuffix(" false") }
            }
        }
    }

    @Test("a ping between the fragments of a message is answered at once and the message is delivered")
    func pingBetweenFragments() async throws {
        try await BadInputHarness.run { harness in
            let room = uniqueRoom("frag")
            let marker = Self.marker("interleaved")
            let socket = try await RawWebSocket.open(port: harness.port, path: "/parties/probe/\(room)?_pk=\(marker)")
            try await socket.waitForFrame("the welcome message") { $0.opcode == WireFrame.text }
            try await socket.sendFrame(WireFrame.text, Array("echo:hel".utf8), fin: false)
            try await socket.sendFrame(WireFrame.ping, [1, 2, 3])
            try await socket.waitForFrame("the pong") { $0.opcode == WireFrame.pong && $0.payload == [1, 2, 3] }
            try await socket.sendFrame(WireFrame.continuation, Array("lo".utf8), fin: false)
            try await socket.sendFrame(WireFrame.pong, [9])
            try await socket.sendFrame(WireFrame.continuation, Array(" world".utf8))
            try await socket.waitForFrame("the echo") { $0.opcode == WireFrame.text && $0.text == "hello world" }
            try await socket.sendFrame(WireFrame.close, WireFrame.closePayload(code: 1000))
            let ending = try await socket.waitForClose(answer: false)
            #expect(ending.code == 1000)
            #expect(ending.closeFrames.count == 1)
            #expect(harness.log.lines(mentioning: marker).isEmpty)
            try await harness.witness.progressed()
        }
    }

    @Test("valid close codes and an empty close are echoed and log nothing at info", arguments: [nil, 1000, 1001, 1003, 1012, 1014, 3000, 4999] as [Int?])
    func validCloses(code: Int?) async throws {
        try await BadInputHarness.run { harness in
            let marker = Self.marker("close")
            let socket = try await RawWebSocket.open(port: harness.port, path: "/parties/probe/\(uniqueRoom("close"))?_pk=\(marker)")
            try await socket.waitForFrame("the welcome message") { $0.opcode == WireFrame.text }
            try await socket.sendFrame(WireFrame.close, code.map { WireFrame.closePayload(code: $0, reason: Array("bye".utf8)) } ?? [])
            let ending = try await socket.waitForClose(answer: false)
            #expect(ending.code == code)
            #expect(ending.closeFrames.count == 1)
            #expect(harness.log.lines(mentioning: marker).isEmpty)
            try await harness.witness.progressed()
        }
    }
}
