import NIOCore
import NIOPosix

/// A WebSocket client built directly on SwiftNIO, giving tests raw control over the connection.
///
/// Inbound frames become ``Event``s in an ordered buffer read with ``next(timeout:)`` and friends.
/// Pings are answered automatically and the server's close frame is echoed, like a browser does.
public final class TestWebSocket: Sendable {
    /// The largest inbound frame accepted (64 MiB).
    public static let maxFrameSize = 64 * 1024 * 1024

    let channel: any Channel
    let events: WebSocketEventBuffer
    /// The header fields of the 101 upgrade response, in wire order.
    public let handshakeHeaders: [(String, String)]

    /// Wraps an upgraded channel.
    private init(channel: any Channel, events: WebSocketEventBuffer, head: RawHTTPResponseHead) {
        self.channel = channel
        self.events = events
        self.handshakeHeaders = head.headers
    }

    /// Closes the TCP connection (without a close frame) if the test dropped the socket while still open.
    deinit {
        channel.close(promise: nil)
    }

    /// Connects to `ws://host:port/path?query` and completes the WebSocket handshake.
    public static func connect(
        url: String,
        headers: [(String, String)] = [],
        receiveBufferSize: Int? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> TestWebSocket {
        let parsed = try TestURL.parse(url, schemes: ["ws"])
        return try await connect(
            host: parsed.host, port: parsed.port, path: parsed.path,
            headers: headers, receiveBufferSize: receiveBufferSize, timeout: timeout
        )
    }

    /// Connects to `host:port`, sends an upgrade request for `path` (including any query) and completes the handshake.
    ///
    /// A header in `headers` whose name matches a default one (Host, Upgrade, Connection, Sec-WebSocket-Key,
    /// Sec-WebSocket-Version) replaces it; a replaced key is the one checked against Sec-WebSocket-Accept.
    /// `receiveBufferSize` sets SO_RCVBUF before connecting, so ``pauseReading()`` backs up quickly.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        path: String,
        headers: [(String, String)] = [],
        receiveBufferSize: Int? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> TestWebSocket {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let events = WebSocketEventBuffer(timerLoop: loop)
        let promise = loop.makePromise(of: RawHTTPResponseHead.self)

        var key = Self.randomKey()
        let request = Self.upgradeRequest(host: host, port: port, path: path, headers: headers, key: &key)
        let requestKey = key
        let maxFrameSize = Self.maxFrameSize

        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketHandshakeHandler(
                        requestKey: requestKey, maxFrameSize: maxFrameSize, events: events, promise: promise
                    )
                    try channel.pipeline.syncOperations.addHandler(handler, name: WebSocketHandshakeHandler.name)
                }
            }
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }

        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            if case ChannelError.connectTimeout = error { throw TestWebSocketError.timeout }
            throw error
        }

        let timer = loop.scheduleTask(deadline: deadline) {
            guard let context = try? channel.pipeline.syncOperations.context(name: WebSocketHandshakeHandler.name),
                let handler = context.handler as? WebSocketHandshakeHandler
            else {
                promise.fail(TestWebSocketError.timeout)
                return
            }
            handler.deadlinePassed(context: context)
        }
        defer { timer.cancel() }

        do {
            channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
            let head = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
            }
            return TestWebSocket(channel: channel, events: events, head: head)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Whether the TCP connection is still open.
    public var isConnected: Bool {
        channel.isActive
    }

    /// Closes the TCP connection abruptly, without a close frame.
    public func disconnect() {
        channel.close(promise: nil)
    }

    /// Stops reading from the socket (autoRead off), so the kernel buffers fill and the server sees backpressure.
    ///
    /// While paused nothing is received, so a close by the server is only noticed after ``resumeReading()``.
    public func pauseReading() {
        channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    /// Resumes reading from the socket (autoRead on).
    public func resumeReading() {
        channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    /// Sixteen random bytes, Base64-encoded, for `Sec-WebSocket-Key`.
    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Builds the upgrade request; `key` is replaced by a caller-supplied Sec-WebSocket-Key if there is one.
    static func upgradeRequest(host: String, port: Int, path: String, headers: [(String, String)], key: inout String) -> String {
        let supplied = Set(headers.map { $0.0.lowercased() })
        if let custom = headers.first(where: { $0.0.lowercased() == "sec-websocket-key" }) {
            key = custom.1
        }
        let defaults: [(String, String)] = [
            ("Host", TestURL.hostHeader(host: host, port: port)),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        var request = "GET \(path.isEmpty ? "/" : path) HTTP/1.1\r\n"
        for (name, value) in defaults where !supplied.contains(name.lowercased()) {
            request += "\(name): \(value)\r\n"
        }
        for (name, value) in headers {
            request += "\(name): \(value)\r\n"
        }
        return request + "\r\n"
    }
}
