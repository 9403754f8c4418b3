import HTTPTypes
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The child channel of every TCP connection: HTTP/1.1 with a WebSocket upgrade whose decision
/// (route, name, `onBeforeConnect`) can refuse with any status and a JSON body, and whose frames
/// are handled on the event loop by the `WebSocketSession` started in the upgraded pipeline.
struct PartyChannel: ServerChildChannel, HTTPChannelHandler {
    /// What the upgrade negotiation produced.
    enum UpgradeResult: Sendable {
        /// A WebSocket session runs in the pipeline; nothing waits for it.
        case websocket
        case relay(any Channel, RelaySession)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case rejected(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, PartyRuntime.Response)
    }

    /// The negotiation result of one TCP connection.
    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
        /// The peer's address, `IP:port`, for log lines.
        var remote = ""
        /// Whether `HTTPParseErrorHandler` logged a parse error (nothing else needs to).
        var reportedParseError = NIOLockedValueBox(false)
    }

    let responder: HTTPChannelHandler.Responder
    let front: PartyFront
    /// Whether the connection runs over TLS (requests then carry the `https` scheme).
    let secure: Bool

    init(responder: @escaping HTTPChannelHandler.Responder, front: PartyFront, secure: Bool = false) {
        self.responder = Self.upgradeAwareResponder(responder)
        self.front = front
        self.secure = secure
    }

    /// Wraps `responder` so that a well-formed WebSocket upgrade arriving on a reused keep-alive
    /// connection (where the upgrade handler is gone) is answered with a redirect to the same URL
    /// and `Connection: close`: the client retries on a fresh connection, where the upgrade works.
    private static func upgradeAwareResponder(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        { request, responseWriter, channel in
            let headers = request.headers
            let isWellFormedUpgrade =
                headers[.upgrade]?.lowercased() == "websocket"
                && HandshakeCheck.refusal(method: request.method.rawValue, isHTTP11OrLater: nil, headers: headers) == nil
            guard isWellFormedUpgrade else {
                try await responder(request, responseWriter, channel)
                return
            }
            let response = HTTPResponse(
                status: .temporaryRedirect,
                headerFields: [.location: request.head.path ?? "/", .connection: "close", .contentLength: "0"]
            )
            try await responseWriter.writeResponse(response)
            throw UpgradeOnReusedConnection()
        }
    }

    /// Ends a keep-alive connection after the redirect written for a late upgrade request.
    private struct UpgradeOnReusedConnection: Error {}

    /// How the channel sizes its read buffers. NIO keeps the first one for the channel's whole
    /// life (reused for every read); its default 2 KiB was a quarter of what an idle WebSocket
    /// costs. 512 bytes holds most upgrade requests and grows as reads fill it.
    static let readBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)

    /// Sets up a new connection: only an `OpeningHandshakeHandler`, which serves a plain WebSocket
    /// upgrade without any HTTP handler and installs the HTTP pipeline (`installHTTP`) for
    /// anything else.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.readBuffers)
            let limits = Self.guardConnection(channel, front: front)
            let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
            var value = Value(upgradeResult: result.futureResult, channel: channel)
            value.remote = Self.describe(channel.remoteAddress)
            let connection = value
            let handshake = Self.openingHandshake(channel: channel, front: front, limits: limits, result: result) { decision in
                result.completeWith(try self.installHTTP(channel: channel, logger: logger, limits: limits, value: connection, decision: decision))
            }
            try channel.pipeline.syncOperations.addHandler(handshake)
            return value
        }
    }

    /// Puts the HTTP/1.1 pipeline with NIO's upgrade handler on `channel` (behind the opening
    /// handshake's handler, which replays what it read) and returns its negotiation's result.
    /// With `decision` (the handshake's handler decided a well-formed upgrade and did not accept
    /// it) NIO's handler answers by it; without, a `DirectUpgradeHandler` decides upgrades first.
    private func installHTTP(
        channel: any Channel, logger: Logger, limits: ConnectionGuard, value: Value, decision made: PartyFront.UpgradeDecision?
    ) throws -> EventLoopFuture<UpgradeResult> {
        let decision = NIOLockedValueBox<PartyFront.UpgradeDecision?>(made)
        let attempted = NIOLockedValueBox<HTTPRequestHead?>(nil)
        let front = self.front
        let requestGuard = NIOLoopBound(
            HTTPRequestGuard(activity: limits.activity, maxHeaderSize: front.configuration.limits.maxHeaderSize, logger: logger),
            eventLoop: channel.eventLoop
        )
        let webSocketUpgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
            maxFrameSize: front.configuration.maxMessageSize,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                limits.activity.phase = .handlingRequest
                guard limits.admitted else {
                    decision.withLockedValue { $0 = .reject(Self.serverFullResponse(target: head.uri, front: front)) }
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // `OpeningHandshakeHandler` or `DirectUpgradeHandler` decided every well-formed upgrade
                // before it got here, served the accepted ones and passed on the rest: a relay
                // upgrades here, anything else not.
                guard case .relay? = decision.withLockedValue({ $0 }) else { return channel.eventLoop.makeSucceededFuture(nil) }
                // A relayed connection is not compressed on this hop.
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    // First, so that no bytes replayed after a failed upgrade reach an HTTP handler.
                    channel.pipeline.syncOperations.removeHandler(requestGuard.value, promise: nil)
                    guard case .relay(let relay)? = decision.withLockedValue({ $0 }) else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    limits.activity.phase = .webSocket
                    try channel.pipeline.syncOperations.addHandler(FramingErrorHandler())
                    try channel.pipeline.syncOperations.addHandler(WebSocketActivityHandler(activity: limits.activity))
                    try relay.attach(client: channel)
                    return UpgradeResult.relay(channel, relay)
                }
            }
        )
        let upgrader = AttemptRecordingUpgrader(inner: webSocketUpgrader, attempted: attempted)
        let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: self.secure))
                    try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                    let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                    if case .reject(let response)? = decision.withLockedValue({ $0 }) {
                        return UpgradeResult.rejected(asyncChannel, response)
                    }
                    if let head = attempted.withLockedValue({ $0 }) {
                        // The handshake itself was refused (version, key) before any routing.
                        let response = front.malformedUpgradeResponse(HandshakeCheck.refusal(for: head), target: head.uri)
                        return UpgradeResult.rejected(asyncChannel, response)
                    }
                    guard limits.admitted else {
                        return UpgradeResult.rejected(asyncChannel, Self.serverFullResponse(target: nil, front: front))
                    }
                    return UpgradeResult.notUpgraded(asyncChannel)
                }
            }
        )
        var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgradeConfiguration)
        configuration.enablePipelining = false
        configuration.enableErrorHandling = false
        configuration.enableResponseHeaderValidation = false
        configuration.decoderConfiguration.maxHeaderFieldSize = front.configuration.limits.maxHeaderSize
        configuration.decoderConfiguration.maxHeaderListSize = front.configuration.limits.maxHeaderSize
        let negotiation = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
        try channel.pipeline.syncOperations.addHandler(requestGuard.value)
        let upgradeResult =
            made != nil
            ? negotiation
            : try Self.addDirectUpgrade(
                to: channel, negotiation: negotiation, front: front, limits: limits, requestGuard: requestGuard.value, decision: decision
            )
        // Bytes that are not HTTP get a 400 until the first request is decided; from then on
        // Hummingbird (plain HTTP) or the WebSocket handlers deal with what arrives.
        let parseErrors = HTTPParseErrorHandler(
            logger: logger, remote: value.remote, closeTimeout: TimeAmount(front.configuration.closeTimeout), reported: value.reportedParseError
        )
        try channel.pipeline.syncOperations.addHandler(parseErrors, name: HTTPParseErrorHandler.name)
        upgradeResult.whenComplete { _ in
            channel.pipeline.removeHandler(name: HTTPParseErrorHandler.name, promise: nil)
        }
        return upgradeResult
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .rejected(let http, let response):
                await Self.write(response, to: http, logger: logger)
            case .websocket:
                return
            case .relay(let client, let relay):
                await relay.run(client)
            }
        } catch {
            // `HTTPParseErrorHandler` logged the request that was not HTTP, or was cut off.
            guard !value.reportedParseError.withLockedValue({ $0 }) else { return }
            logger.debug("connection closed before its first request was complete", metadata: ["remote": "\(value.remote)", "error": "\(error)"])
        }
    }

    /// `IP:port` of `address`, or `unknown`.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "unknown" }
        return "\(ip):\(port)"
    }

    /// Writes a refusal of an upgrade and closes the connection.
    private static func write(_ response: PartyRuntime.Response, to channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger) async {
        do {
            try await channel.executeThenClose { _, outbound in
                var fields = response.headers
                fields[.connection] = "close"
                fields[.contentLength] = String(response.body.readableBytes)
                try await outbound.write(contentsOf: [
                    .head(HTTPResponse(status: response.status, headerFields: fields)),
                    .body(response.body),
                    .end(nil),
                ])
            }
        } catch {
            logger.trace("could not write the refusal", metadata: ["error": "\(error)"])
        }
    }
}

extension HTTPFields {
    /// Converts NIO's HTTP/1 headers, skipping names HTTP types reject.
    init(_ headers: HTTPHeaders) {
        self.init()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) {
                self.append(HTTPField(name: field, value: value))
            }
        }
    }
}
