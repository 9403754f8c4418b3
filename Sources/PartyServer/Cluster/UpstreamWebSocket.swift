import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PartyClient

/// Opens the WebSocket to a room's owner node that a forwarded client connection is relayed to.
enum UpstreamWebSocket {
    /// What the owner answered to the upgrade.
    enum Outcome: Sendable {
        /// Upgraded: the channel ends in the owner's end of a relay, which keeps what arrives until
        /// the client's end is glued to it.
        case upgraded(any Channel, NIOLoopBound<RelayHandler>)
        /// Refused with this status and body (a before-hook's rejection, an unknown room…).
        case refused(status: Int, body: String)
    }

    /// Connects to `host:port` on `eventLoop` (the client's, so the relay runs on one loop) and
    /// sends the upgrade for `target` with `headers` (the client's, without hop-by-hop fields).
    /// Throws when the node cannot be reached or the handshake breaks.
    static func connect(
        host: String, port: Int, target: String, headers: [(String, String)], maxFrameSize: Int, timeout: Duration,
        on eventLoop: any EventLoop, frames: Counter, logger: Logger
    ) async throws -> Outcome {
        enum Negotiated: Sendable {
            case upgraded(any Channel, NIOLoopBound<RelayHandler>)
            case refused(EventLoopFuture<(status: Int, body: String)>)
        }
        let negotiation = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    for (name, value) in headers { head.headers.add(name: name, value: value) }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Negotiated>(maxFrameSize: maxFrameSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let end = RelayHandler(side: .owner, frames: frames, logger: logger)
                            try channel.pipeline.syncOperations.addHandler(end)
                            return .upgraded(channel, NIOLoopBound(end, eventLoop: channel.eventLoop))
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
        case .upgraded(let channel, let end):
            return .upgraded(channel, end)
        case .refused(let response):
            let (status, body) = try await response.get()
            return .refused(status: status, body: body)
        }
    }
}
