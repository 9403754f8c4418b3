import Logging
import NIOCore

extension PartyChannel {
    /// What the limits attach to one TCP connection from its accept: its place under
    /// `maxConnections`, its record for the liveness sweeper, and the guard behind the HTTP decoder.
    struct ConnectionGuard: Sendable {
        /// Whether the connection counts under `maxConnections`; if not, every request on it gets 503.
        let admitted: Bool
        /// What the sweeper knows about the connection.
        let activity: ConnectionActivity
        /// The request guard, removed from the pipeline when the connection upgrades.
        let requestGuard: NIOLoopBound<HTTPRequestGuard>
    }

    /// Counts the connection (released when it closes) and starts watching it; on the event loop.
    static func guardConnection(_ channel: any Channel, front: PartyFront, logger: Logger) -> ConnectionGuard {
        let services = front.registry.services
        let admitted = services.admission.admitConnection()
        if admitted {
            channel.closeFuture.whenComplete { _ in services.admission.releaseConnection() }
        }
        let activity = front.edge.liveness.watch(channel)
        let requestGuard = HTTPRequestGuard(activity: activity, maxHeaderSize: front.configuration.limits.maxHeaderSize, logger: logger)
        return ConnectionGuard(admitted: admitted, activity: activity, requestGuard: NIOLoopBound(requestGuard, eventLoop: channel.eventLoop))
    }

    /// The 503 for a request on a connection over `maxConnections`, logged once (with the path of
    /// `target` when known: its query may carry a token).
    static func serverFullResponse(target: String?, front: PartyFront) -> Response {
        let refusal = AdmissionRefusal.serverFull(limit: front.registry.services.admission.limits.maxConnections)
        var metadata: Logger.Metadata = ["limit": "\(refusal.limitName)", "status": "503"]
        if let target { metadata["path"] = "\(target.prefix { $0 != "?" }.prefix(200))" }
        front.logger.info("refused a request over a limit", metadata: metadata)
        return refusal.response
    }
}
