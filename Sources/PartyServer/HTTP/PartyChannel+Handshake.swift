import HTTPTypes
import NIOCore

extension PartyChannel {
    /// The handler a new connection starts with (`OpeningHandshakeHandler`): a plain WebSocket
    /// upgrade that its room accepts is served by it and completes `result` with `.websocket`;
    /// anything else goes through `installHTTP`, whose negotiation completes `result`.
    static func openingHandshake(
        channel: any Channel,
        front: PartyFront,
        limits: ConnectionGuard,
        result: EventLoopPromise<UpgradeResult>,
        installHTTP: @escaping (PartyFront.UpgradeDecision?) throws -> Void
    ) -> OpeningHandshakeHandler {
        OpeningHandshakeHandler(
            OpeningHandshakeHandler.Setup(
                maxHeadSize: front.configuration.limits.maxHeaderSize,
                maxFrameSize: front.configuration.maxMessageSize,
                decide: { head in
                    limits.activity.phase = .handlingRequest
                    limits.activity.hasPartialRequest = false
                    // Over the connection limit: the HTTP pipeline answers 503.
                    guard limits.admitted else { return channel.eventLoop.makeSucceededFuture(.passOn(nil)) }
                    return decide(target: head.target, headers: head.fields, front: front, channel: channel) { made, extensions in
                        guard case .accept(let session) = made else { return .passOn(made) }
                        return .accept(session, extensions: extensions)
                    }
                },
                start: { session in
                    limits.activity.phase = .webSocket
                    try session.start(on: channel, sessions: front.edge.sessions, activity: limits.activity)
                    result.succeed(.websocket)
                },
                installHTTP: installHTTP,
                failed: { error in result.fail(error) },
                partialHead: {
                    if limits.activity.phase == .awaitingRequest { limits.activity.hasPartialRequest = true }
                }
            )
        )
    }

    /// Decides a well-formed upgrade in a task; `outcome` makes the handler's outcome of the
    /// decision and, for an accepted one, the `Sec-WebSocket-Extensions` answer (the session
    /// then carries the compression its offers agreed on). The future completes on `channel`'s
    /// event loop.
    static func decide<Outcome: Sendable>(
        target: String,
        headers: HTTPFields,
        front: PartyFront,
        channel: any Channel,
        _ outcome: @escaping @Sendable (PartyFront.UpgradeDecision, String?) -> Outcome
    ) -> EventLoopFuture<Outcome> {
        let promise = channel.eventLoop.makePromise(of: Outcome.self)
        promise.completeWithTask {
            let made = await front.decideUpgrade(target: target, headers: headers, peer: channel.remoteAddress?.ipAddress, eventLoop: channel.eventLoop)
            guard case .accept(var session) = made,
                let (agreed, answer) = front.compression?.negotiate(offers: headers[values: .secWebSocketExtensions])
            else { return outcome(made, nil) }
            session.compression = agreed
            return outcome(.accept(session), answer)
        }
        return promise.futureResult
    }
}
