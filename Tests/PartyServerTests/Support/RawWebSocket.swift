import NIOCore
import NIOPosix
import Testing

/// A WebSocket over a ``RawConnection``: the handshake is written by hand and frames are raw
/// bytes (``WireFrame``), so a test can send anything and see every byte the server answers.
final class RawWebSocket: Sendable {
    let connection: RawConnection
    /// Where the frames start in the received bytes (right after the 101 response head).
    private let framesStart: Int

    private init(connection: RawConnection, framesStart: Int) {
        self.connection = connection
        self.framesStart = framesStart
    }

    /// A well-formed upgrade request for `path`, with `headers` added.
    static func upgradeRequest(_ path: String, headers: [String] = []) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + headers.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    /// Connects and completes the handshake for `path`; `trailing` bytes go out in the same write
    /// as the request, as a client that does not wait for the 101 would send them.
    static func open(port: Int, path: String, headers: [String] = [], trailing: [UInt8] = []) async throws -> RawWebSocket {
        let connection = try await RawConnection.connect(port: port)
        try await connection.write(bytes: Array(upgradeRequest(path, headers: headers).utf8) + trailing)
        let headEnd = try await eventually("the 101 response arrived for \(path)", timeout: .seconds(30), interval: .milliseconds(5)) {
            () -> PollResult<Int> in
            let bytes = connection.bytes
            if let end = Self.endOfHead(bytes) { return .done(end) }
            if connection.isClosed { throw AbortWaiting(reason: "closed before a response: \(connection.text)") }
            return .pending("\(bytes.count) bytes")
        }
        let head = String(decoding: connection.bytes[..<headEnd], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 101") else {
            connection.close()
            throw AbortWaiting(reason: "upgrade refused: \(head)")
        }
        return RawWebSocket(connection: connection, framesStart: headEnd)
    }

    /// Where the blank line ending an HTTP head ends, if it arrived.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index..<index + 4].elementsEqual([13, 10, 13, 10]) {
            return index + 4
        }
        return nil
    }

    /// Writes `bytes` as is.
    func send(_ bytes: [UInt8]) async throws {
        try await connection.write(bytes: bytes)
    }

    /// Writes one frame (see ``WireFrame/encode(opcode:payload:fin:rsv:masked:)``).
    func sendFrame(_ opcode: UInt8, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true) async throws {
        try await send(WireFrame.encode(opcode: opcode, payload: payload, fin: fin, rsv: rsv, masked: masked))
    }

    /// The complete frames the server sent so far.
    var frames: [WireFrame] {
        WireFrame.parse(connection.bytes[framesStart...])
    }

    /// Waits until the server sent a frame matching `predicate` and returns it.
    @discardableResult
    func waitForFrame(_ what: String, where predicate: @escaping @Sendable (WireFrame) -> Bool) async throws -> WireFrame {
        try await eventually(what, timeout: .seconds(10), interval: .milliseconds(5)) { () -> PollResult<WireFrame> in
            if let frame = self.frames.first(where: predicate) { return .done(frame) }
            if self.connection.isClosed { throw AbortWaiting(reason: "closed; frames: \(self.frames)") }
            return .pending("\(self.frames)")
        }
    }

    /// How the server ended the connection.
    struct Ending: Sendable {
        /// The code of the server's close frame (`nil` if it had none).
        var code: Int?
        /// Every close frame the server sent (RFC 6455 allows exactly one).
        var closeFrames: [WireFrame]
        /// Frames that followed the first close frame (RFC 6455 allows none).
        var framesAfterClose: [WireFrame]
        /// Whether the TCP connection ended.
        var disconnected: Bool
    }

    /// Waits for the server's close frame, answers it like a well-behaved client (unless `answer`
    /// is false), then waits for the server to end the TCP connection.
    func waitForClose(answer: Bool = true, timeout: Duration = .seconds(15)) async throws -> Ending {
        let close = try await eventually("a close frame arrived", timeout: timeout, interval: .milliseconds(5)) { () -> PollResult<WireFrame> in
            if let close = self.frames.first(where: { $0.opcode == WireFrame.close }) { return .done(close) }
            if self.connection.isClosed { throw AbortWaiting(reason: "closed without a close frame; frames: \(self.frames)") }
            return .pending("\(self.frames)")
        }
        if answer {
            try? await sendFrame(WireFrame.close, close.payload.count >= 2 ? Array(close.payload[0..<2]) : [])
        }
        try await waitUntil(timeout: timeout, "the server closed the TCP connection") { self.connection.isClosed }
        let frames = self.frames
        let first = frames.firstIndex { $0.opcode == WireFrame.close } ?? frames.endIndex
        return Ending(
            code: close.closeCode,
            closeFrames: frames.filter { $0.opcode == WireFrame.close },
            framesAfterClose: Array(frames[min(first + 1, frames.endIndex)...]),
            disconnected: connection.isClosed
        )
    }
}

extension RawConnection {
    /// Writes `bytes` as is.
    func write(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Every byte received so far.
    var bytes: [UInt8] { received.bytes }

    /// Closes the connection with a reset (SO_LINGER 0) instead of a FIN.
    func resetAndClose() {
        let channel = self.channel
        (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// The local port of this connection, which the server sees as the remote port.
    var localPort: Int? { channel.localAddress?.port }
}
