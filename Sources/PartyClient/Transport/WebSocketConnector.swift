import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Everything one connection attempt needs.
struct WebSocketRequest: Sendable {
    /// The host to connect to (a name or an IP address, without brackets) and its port.
    var host: String
    var port: Int
    /// The `Host` header value.
    var authority: String
    /// The request target: path and query.
    var target: String
    /// Extra headers (already validated).
    var headers: [(String, String)]
    /// The TLS context for `wss`, nil for `ws`.
    var tls: NIOSSLContext?
    var maxMessageSize: Int
    var connectTimeout: Duration
    var closeTimeout: Duration
}

/// Opens WebSocket connections with SwiftNIO: TCP (and TLS), the HTTP/1.1 upgrade, then frames.
enum WebSocketConnector {
    /// The result of the upgrade request.
    private enum Outcome: Sendable {
        case upgraded
        case rejected(EventLoopFuture<(status: Int, body: String)>)
    }

    /// Connects and completes the handshake. Cancelling the task closes the connection at once.
    /// Throws ``TransportError`` for a refused upgrade or a broken handshake, else NIO's error.
    static func connect(_ request: WebSocketRequest) async throws -> WebSocketConnection {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let slot = ChannelSlot()
        let flag = OpenFlag()
        let (events, continuation) = AsyncStream.makeStream(of: WireEvent.self)
        let outcome = loop.makePromise(of: Outcome.self)
        defer { outcome.fail(CancellationError()) }  // no-op once completed; never leaks the promise

        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(request.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                guard slot.register(channel) else {
                    return channel.eventLoop.makeFailedFuture(CancellationError())
                }
                return channel.eventLoop.makeCompletedFuture {
                    let upgrade = try configure(channel.pipeline.syncOperations, request, continuation: continuation, flag: flag)
                    upgrade.cascade(to: outcome)
                }
            }

        return try await withTaskCancellationHandler {
            let channel: any Channel
            do {
                channel = try await bootstrap.connect(host: request.host, port: request.port).get()
            } catch {
                continuation.finish()
                throw error
            }
            do {
                switch try await outcome.futureResult.get() {
                case .upgraded:
                    return WebSocketConnection(channel: channel, events: events, flag: flag)
                case .rejected(let response):
                    let (status, body) = try await response.get()
                    throw TransportError.rejected(status: status, body: body)
                }
            } catch {
                channel.close(promise: nil)
                continuation.finish()
                throw error
            }
        } onCancel: {
            slot.cancel()
            outcome.fail(CancellationError())
        }
    }

    /// Adds TLS (for `wss`), the HTTP client handlers and the WebSocket upgrader.
    private static func configure(
        _ pipeline: ChannelPipeline.SynchronousOperations,
        _ request: WebSocketRequest,
        continuation: AsyncStream<WireEvent>.Continuation,
        flag: OpenFlag
    ) throws -> EventLoopFuture<Outcome> {
        if let tls = request.tls {
            let isAddress = (try? SocketAddress(ipAddress: request.host, port: 0)) != nil
            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : request.host))
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: request.target)
        if !request.headers.contains(where: { $0.0.lowercased() == "host" }) {
            head.headers.add(name: "Host", value: request.authority)
        }
        for (name, value) in request.headers {
            head.headers.add(name: name, value: value)
        }
        let maxMessageSize = request.maxMessageSize
        let closeTimeout = TimeAmount(request.closeTimeout)
        let upgrader = NIOTypedWebSocketClientUpgrader<Outcome>(maxFrameSize: maxMessageSize) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                let handlers = channel.pipeline.syncOperations
                try handlers.addHandler(NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: Int.max, maxAccumulatedFrameSize: maxMessageSize
                ))
                try handlers.addHandler(WebSocketFrameReader(continuation: continuation, open: flag, closeTimeout: closeTimeout))
                return .upgraded
            }
        }
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
            upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                upgradeRequestHead: head,
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture { .rejected(try RejectedUpgradeCollector.collect(on: channel)) }
                }
            )
        )
        configuration.leftOverBytesStrategy = .forwardBytes  // frames right after the 101 are kept
        return try pipeline.configureUpgradableHTTPClientPipeline(configuration: configuration)
    }
}
