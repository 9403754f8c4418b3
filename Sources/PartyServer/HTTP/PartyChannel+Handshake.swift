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
                    // Over the connection limit: the HTTP pipeline answers 503.
                    guard limits.admitted else { return channel.eventLoop.makeSucceededFuture(.passOn(nil)) }
                    let promise = channel.eventLoop.makePromise(of: OpeningHandshakeHandler.Outcome.self)
                    promise.completeWithTask {
                        let made = await front.decideUpgrade(
                            target: head.target, headers: head.fields, peer: channel.remoteAddress?.ipAddress, eventLoop: channel.eventLoop
                        )
                        guard case .accept(var session) = made else { return .passOn(made) }
                        let offers = head.fields[values: .secWebSocketExtensions]
                        guard let (agreed, answer) = front.compression?.negotiate(offers: offers) else { return .accept(session, extensions: nil) }
                        session.compression = agreed
                        return .accept(session, extensions: answer)
                    }
                    return promise.futureResult
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
}
