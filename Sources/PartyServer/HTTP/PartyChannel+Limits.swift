import Logging
import NIOCore

extension PartyChannel {
    /// What the limits attach to one TCP connection from its accept: its place under
    /// `maxConnections`.
    struct ConnectionGuard: Sendable {
        /// Whether the connection counts under `maxConnections`; if not, every request on it gets 503.
        let admitted: Bool
    }

    /// Counts the connection (released when it closes); on the event loop.
    static func guardConnection(_ channel: any Channel, front: PartyFront) -> ConnectionGuard {
        let services = front.registry.services
        let admitted = services.admission.admitConnection()
        if admitted {
            channel.closeFuture.whenComplete { _ in services.admission.releaseConnection() }
        }
        return ConnectionGuard(admitted: admitted)
    }

    /// The 503 for a request on a connection over `maxConnections` (`target` when known), logged once.
    static func serverFullResponse(target: String?, front: PartyFront) -> Response {
        let refusal = AdmissionRefusal.serverFull(limit: front.registry.services.admission.limits.maxConnections)
        var metadata: Logger.Metadata = ["limit": "\(refusal.limitName)", "status": "503"]
        if let target { metadata["target"] = "\(target)" }
        front.logger.info("refused a request over a limit", metadata: metadata)
        return refusal.response
    }
}
