import NIOCore

/// Receives a connection's messages, on the connection's event loop.
protocol WebSocketSink: AnyObject {
    /// A complete text or binary message. `payload` is only valid during the call; `now` is the
    /// monotonic time at which the bytes were read from the socket.
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64)
    /// The connection closed (after `WebSocketClient.closeInfo` was set).
    func webSocketDidClose(_ client: WebSocketClient)
}

/// How a connection ended.
struct WebSocketCloseInfo: Sendable {
    /// This side sent the first close frame.
    var initiatedLocally: Bool
    /// A close frame arrived from the server.
    var receivedCloseFrame: Bool
    /// The code in the server's close frame, if any.
    var serverCode: UInt16?
    /// The handshake had completed.
    var wasOpen: Bool

    /// A normal closing handshake that this side started and the server answered.
    var isCleanLocalClose: Bool { initiatedLocally && receivedCloseFrame }

    /// A connection that never got as far as a socket.
    static let notConnected = WebSocketCloseInfo(initiatedLocally: false, receivedCloseFrame: false, serverCode: nil, wasOpen: false)
}

enum WebSocketClientError: Error, CustomStringConvertible {
    case handshakeFailed(String)
    case handshakeTimeout
    case closedDuringHandshake

    var description: String {
        switch self {
        case .handshakeFailed(let reason): return "handshake failed: \(reason)"
        case .handshakeTimeout: return "handshake timed out"
        case .closedDuringHandshake: return "connection closed during the handshake"
        }
    }
}

/// A thin WebSocket client as a single channel handler: it writes the upgrade request, checks the
/// 101 response, then parses server frames straight out of the socket's read buffers (no per-message
/// allocation) and writes masked client frames it builds itself.
///
/// All state is confined to the channel's event loop.
final class WebSocketClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        case idle
        case handshaking
        case open
        case closing
        case closed
    }

    private(set) var state = State.idle
    private let requestPath: String
    private let hostHeader: String
    private let key: String
    private let handshakeDeadline: NIODeadline
    private let opened: EventLoopPromise<Void>
    private let closed: EventLoopPromise<WebSocketCloseInfo>
    private var rng: XorShiftGenerator
    /// Gets the messages; released when the connection closes.
    var sink: (any WebSocketSink)?

    private var context: ChannelHandlerContext?
    private var pending: ByteBuffer?
    private var fragments: ByteBuffer?
    private var fragmentIsText = false
    private var handshakeTimer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private(set) var closeInfo = WebSocketCloseInfo.notConnected
    /// Why this side closed the connection on its own (a protocol violation by the server).
    private(set) var protocolViolation: String?

    /// Whether the handshake offers permessage-deflate.
    private let deflate: Bool

    /// Largest server message accepted (the server's own limit is 1 MiB by default).
    static let maxMessageSize = 64 << 20
    /// Largest response head accepted during the handshake.
    static let maxHandshakeSize = 16 << 10

    init(
        path: String,
        hostHeader: String,
        handshakeDeadline: NIODeadline,
        seed: UInt64,
        opened: EventLoopPromise<Void>,
        closed: EventLoopPromise<WebSocketCloseInfo>,
        deflate: Bool = false
    ) {
        self.deflate = deflate
        self.requestPath = path
        self.hostHeader = hostHeader
        self.handshakeDeadline = handshakeDeadline
        self.opened = opened
        self.closed = closed
        var rng = XorShiftGenerator(seed: seed)
        self.key = Handshake.makeKey(using: &rng)
        self.rng = rng
    }

    var isOpen: Bool { state == .open }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loop = context.eventLoop.assumeIsolated()
        handshakeTimer = loop.scheduleTask(deadline: handshakeDeadline) { [self] in
            guard state == .idle || state == .handshaking else { return }
            opened.fail(WebSocketClientError.handshakeTimeout)
            self.context?.close(promise: nil)
        }
        if context.channel.isActive { sendHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sendHandshake(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state == .idle || state == .handshaking {
            opened.fail(error)
        }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        switch state {
        case .idle, .closed:
            return
        case .handshaking:
            if var buffer = pending {
                pending = nil
                buffer.writeBuffer(&incoming)
                incoming = buffer
            }
            readHandshake(context: context, buffer: &incoming)
        case .open, .closing:
            if var buffer = pending {
                pending = nil
                buffer.discardReadBytes()
                buffer.writeBuffer(&incoming)
                incoming = buffer
            }
            readFrames(context: context, buffer: &incoming)
        }
    }

    // MARK: Sending

    /// Queues a masked text frame of `length` bytes whose payload `fill` writes; call `flush()` after a batch.
    @inline(__always)
    func writeText(length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        guard state == .open, let context else { return }
        let buffer = makeFrame(opcode: 0x1, length: length, allocator: context.channel.allocator, fill)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// Queues a masked binary frame of `length` bytes whose payload `fill` writes; call `flush()` after a batch.
    @inline(__always)
    func writeBinary(length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        guard state == .open, let context else { return }
        let buffer = makeFrame(opcode: 0x2, length: length, allocator: context.channel.allocator, fill)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Starts the closing handshake (code 1000 by default); the socket is closed when the server
    /// answers, or at the latest after `timeout`.
    func close(code: UInt16 = 1000, timeout: TimeAmount = .seconds(5)) {
        guard let context else { return }
        switch state {
        case .open:
            state = .closing
            closeInfo.initiatedLocally = true
            writeControl(opcode: 0x8, payload: Self.closePayload(code), context: context)
            context.flush()
            closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                self.context?.close(promise: nil)
            }
        case .idle, .handshaking:
            context.close(promise: nil)
        case .closing, .closed:
            break
        }
    }

    // MARK: Handshake

    private func sendHandshake(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        let request = Handshake.request(path: requestPath, host: hostHeader, key: key, deflate: deflate)
        var buffer = context.channel.allocator.buffer(capacity: request.utf8.count)
        buffer.writeString(request)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func readHandshake(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        // Find the blank line that ends the response head.
        let headEnd: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 4 else { return nil }
            for index in 0...(bytes.count - 4)
            where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index
            }
            return nil
        }
        guard let headEnd else {
            if buffer.readableBytes > Self.maxHandshakeSize {
                fail(context: context, WebSocketClientError.handshakeFailed("response head too large"))
            } else {
                pending = buffer
            }
            return
        }
        let head = buffer.readBytes(length: headEnd) ?? []
        buffer.moveReaderIndex(forwardBy: 4)
        switch Handshake.validate(head: head, key: key) {
        case .rejected(let reason):
            fail(context: context, WebSocketClientError.handshakeFailed(reason))
        case .accepted:
            state = .open
            closeInfo.wasOpen = true
            handshakeTimer?.cancel()
            handshakeTimer = nil
            opened.succeed(())
            if buffer.readableBytes > 0, state == .open {
                readFrames(context: context, buffer: &buffer)
            }
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        opened.fail(error)
        context.close(promise: nil)
    }

    // MARK: Frames

    private func readFrames(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        let now = monotonicNanoseconds()
        let consumed = buffer.withUnsafeReadableBytes { bytes -> Int in
            var offset = 0
            let total = bytes.count
            while total - offset >= 2, state == .open || state == .closing {
                let byte0 = bytes[offset]
                let byte1 = bytes[offset + 1]
                var headerLength = 2
                var length = Int(byte1 & 0x7F)
                if length == 126 {
                    guard total - offset >= 4 else { break }
                    length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
                    headerLength = 4
                } else if length == 127 {
                    guard total - offset >= 10 else { break }
                    var value: UInt64 = 0
                    for index in 2..<10 { value = value << 8 | UInt64(bytes[offset + index]) }
                    guard value <= UInt64(Self.maxMessageSize) else {
                        protocolError(context: context, "frame of \(value) bytes")
                        return offset
                    }
                    length = Int(value)
                    headerLength = 10
                }
                if byte1 & 0x80 != 0 {
                    protocolError(context: context, "masked server frame")
                    return offset
                }
                guard total - offset >= headerLength + length else { break }
                let start = offset + headerLength
                let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
                offset = start + length
                if byte0 & 0x40 != 0 {
                    // RSV1: a compressed message (permessage-deflate); the server never fragments one.
                    guard deflate, byte0 & 0x80 != 0, let inflated = LoopInflater.current.inflate(payload) else {
                        protocolError(context: context, "compressed frame that cannot be inflated")
                        return offset
                    }
                    inflated.withUnsafeReadableBytes { bytes in
                        handleFrame(context: context, fin: true, opcode: byte0 & 0x0F, payload: bytes, now: now)
                    }
                    continue
                }
                handleFrame(context: context, fin: byte0 & 0x80 != 0, opcode: byte0 & 0x0F, payload: payload, now: now)
            }
            return offset
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if buffer.readableBytes > 0, state == .open || state == .closing {
            pending = buffer
        }
    }

    @inline(__always)
    private func handleFrame(context: ChannelHandlerContext, fin: Bool, opcode: UInt8, payload: UnsafeRawBufferPointer, now: UInt64) {
        switch opcode {
        case 0x1, 0x2:
            guard fragments == nil else {
                protocolError(context: context, "new message inside a fragmented one")
                return
            }
            if fin {
                sink?.webSocket(self, didReceive: payload, isText: opcode == 0x1, now: now)
            } else {
                var buffer = context.channel.allocator.buffer(capacity: payload.count * 2)
                buffer.writeBytes(payload)
                fragments = buffer
                fragmentIsText = opcode == 0x1
            }
        case 0x0:
            guard var buffer = fragments else {
                protocolError(context: context, "continuation without a message")
                return
            }
            fragments = nil
            buffer.writeBytes(payload)
            guard buffer.readableBytes <= Self.maxMessageSize else {
                protocolError(context: context, "message too large")
                return
            }
            if fin {
                buffer.withUnsafeReadableBytes { bytes in
                    sink?.webSocket(self, didReceive: bytes, isText: fragmentIsText, now: now)
                }
            } else {
                fragments = buffer
            }
        case 0x8:
            closeInfo.receivedCloseFrame = true
            if payload.count >= 2 {
                closeInfo.serverCode = UInt16(payload[0]) << 8 | UInt16(payload[1])
            }
            if state == .open {
                // The server started closing: echo its code, then hang up.
                state = .closing
                let echo = closeInfo.serverCode.map(Self.closePayload) ?? []
                writeControl(opcode: 0x8, payload: echo, context: context)
                context.flush()
            }
            context.close(promise: nil)
        case 0x9:
            writeControl(opcode: 0xA, payload: Array(payload), context: context)
            context.flush()
        case 0xA:
            break
        default:
            protocolError(context: context, "unknown opcode \(opcode)")
        }
    }

    private func protocolError(context: ChannelHandlerContext, _ reason: String) {
        log("closing a connection: \(reason)")
        if protocolViolation == nil { protocolViolation = reason }
        closeInfo.initiatedLocally = true
        if state == .open {
            state = .closing
            writeControl(opcode: 0x8, payload: Self.closePayload(1002), context: context)
            context.flush()
        }
        context.close(promise: nil)
    }

    private func finish() {
        guard state != .closed else { return }
        let wasHandshaking = state == .idle || state == .handshaking
        state = .closed
        handshakeTimer?.cancel()
        handshakeTimer = nil
        closeTimer?.cancel()
        closeTimer = nil
        pending = nil
        fragments = nil
        if wasHandshaking {
            opened.fail(WebSocketClientError.closedDuringHandshake)
        }
        closed.succeed(closeInfo)
        let sink = self.sink
        self.sink = nil
        sink?.webSocketDidClose(self)
    }

    // MARK: Frame building

    private static func closePayload(_ code: UInt16) -> [UInt8] {
        [UInt8(truncatingIfNeeded: code >> 8), UInt8(truncatingIfNeeded: code)]
    }

    private func writeControl(opcode: UInt8, payload: [UInt8], context: ChannelHandlerContext) {
        let buffer = makeFrame(opcode: opcode, length: min(payload.count, 125), allocator: context.channel.allocator) { out in
            out.copyBytes(from: payload.prefix(125))
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// One masked frame with FIN set: header, mask key, then the payload (written by `fill`, then masked in place).
    @inline(__always)
    private func makeFrame(opcode: UInt8, length: Int, allocator: ByteBufferAllocator, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: length + 14)
        buffer.writeInteger(0x80 | opcode)
        if length < 126 {
            buffer.writeInteger(UInt8(0x80 | length))
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(length))
        }
        let key = UInt32(truncatingIfNeeded: rng.next())
        buffer.writeInteger(key, endianness: .little)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            let out = UnsafeMutableRawBufferPointer(rebasing: raw[0..<length])
            fill(out)
            Self.mask(out, key: key)
            return length
        }
        return buffer
    }

    /// XORs `bytes` with the 4-byte key whose bytes, in wire order, are `key`'s little-endian bytes.
    @inline(__always)
    private static func mask(_ bytes: UnsafeMutableRawBufferPointer, key: UInt32) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        let wide = UInt64(key) | UInt64(key) << 32
        var index = 0
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            base.storeBytes(of: word ^ wide.littleEndian, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            let keyByte = UInt8(truncatingIfNeeded: key >> UInt32((index & 3) * 8))
            base.storeBytes(of: base.load(fromByteOffset: index, as: UInt8.self) ^ keyByte, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }
}
