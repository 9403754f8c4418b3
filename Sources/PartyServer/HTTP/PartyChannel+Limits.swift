import Logging
import NIOCore

extension PartyChannel {
    /// What the limits attach to one TCP connection from its accept: its place under
    /// `maxConnections` and its record for the liveness sweeper. (The HTTP pipeline, when a
    /// connection gets one, adds an `HTTPRequestGuard` reporting to the same record.)
    struct ConnectionGuard: Sendable {
        /// Whether the connection counts under `maxConnections`; if not, every request on it gets 503.
        let admitted: Bool
        /// What the sweeper knows about the connection.
        let activity: ConnectionActivity
    }

    /// Counts the connection (released when it closes) and starts watching it; on the event loop.
    static func guardConnection(_ channel: any Channel, front: PartyFront) -> ConnectionGuard {
        let services = front.registry.services
        let admitted = services.admission.admitConnection()
        if admitted {
            channel.closeFuture.whenComplete { _ in services.admission.releaseConnection() }
        }
        return ConnectionGuard(admitted: admitted, activity: front.edge.liveness.watch(channel))
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
