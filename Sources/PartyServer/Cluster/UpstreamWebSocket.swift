import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PartyClient

/// Opens the WebSocket to a room's owner node that a forwarded client connection is relayed to.
enum UpstreamWebSocket {
    /// What the owner answered to the upgrade.
    enum Outcome: Sendable {
        /// Upgraded: frames flow, with backpressure, through the channel.
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        /// Refused with this status and body (a before-hook's rejection, an unknown room…).
        case refused(status: Int, body: String)
    }

    /// Connects to `host:port` and sends the upgrade for `target` with `headers` (the client's,
    /// without hop-by-hop fields). Throws when the node cannot be reached or the handshake breaks.
    static func connect(
        host: String, port: Int, target: String, headers: [(String, String)], maxFrameSize: Int, timeout: Duration
    ) async throws -> Outcome {
        enum Negotiated: Sendable {
            case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
            case refused(EventLoopFuture<(status: Int, body: String)>)
        }
        let negotiation = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    for (name, value) in headers { head.headers.add(name: name, value: value) }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Negotiated>(maxFrameSize: maxFrameSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .upgraded(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                            ))
                        }
                    }
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: head,
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.eventLoop.makeCompletedFuture { .refused(try RejectedUpgradeCollector.collect(on: channel)) }
                            }
                        )
                    )
                    configuration.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
                }
            }
        switch try await negotiation.get() {
        case .upgraded(let channel):
            return .upgraded(channel)
        case .refused(let response):
            let (status, body) = try await response.get()
            return .refused(status: status, body: body)
        }
    }
}
