import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

extension PartyChannel {
    /// Puts a `DirectUpgradeHandler` in front of NIO's upgrade handler: it serves an accepted,
    /// well-formed WebSocket upgrade itself and passes everything else on. Returns the connection's
    /// negotiation result: `.websocket` when it upgraded, NIO's `negotiation` otherwise.
    static func addDirectUpgrade(
        to channel: any Channel,
        negotiation: EventLoopFuture<UpgradeResult>,
        front: PartyFront,
        limits: ConnectionGuard,
        requestGuard: HTTPRequestGuard,
        decision: NIOLockedValueBox<PartyFront.UpgradeDecision?>
    ) throws -> EventLoopFuture<UpgradeResult> {
        let operations = channel.pipeline.syncOperations
        let upgradeHandler = try operations.handler(type: NIOTypedHTTPServerUpgradeHandler<UpgradeResult>.self)
        let encoder = try operations.handler(type: HTTPResponseEncoder.self)
        let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
        let direct = DirectUpgradeHandler(
            DirectUpgradeHandler.Setup(
                decide: { head in
                    limits.activity.phase = .handlingRequest
                    // Over the connection limit: NIO's path answers 503.
                    guard limits.admitted else { return channel.eventLoop.makeSucceededFuture(.passOn) }
                    let fields = HTTPFields(head.headers)
                    return decide(target: head.uri, headers: fields, front: front, channel: channel) { made, extensions in
                        guard case .accept(let session) = made else {
                            decision.withLockedValue { $0 = made }
                            return .passOn
                        }
                        return .accept(session, extensions: extensions)
                    }
                },
                start: { session in
                    limits.activity.phase = .webSocket
                    try session.start(on: channel, sessions: front.edge.sessions, activity: limits.activity)
                    result.succeed(.websocket)
                },
                failed: { error in result.fail(error) },
                httpHandlers: [encoder, upgradeHandler, requestGuard],
                decoder: decoder,
                namedHandlers: [HTTPParseErrorHandler.name],
                maxFrameSize: front.configuration.maxMessageSize
            )
        )
        try operations.addHandler(direct, position: .before(upgradeHandler))
        let directBox = NIOLoopBound(direct, eventLoop: channel.eventLoop)
        negotiation.whenComplete { outcome in
            // NIO's handler fails its negotiation when the direct path removes it.
            guard !directBox.value.tookOver else { return }
            result.completeWith(outcome)
        }
        return result.futureResult
    }
}
