import HTTPTypes

/// Why new work was turned away at the door: which limit was reached, and how to tell the client.
package enum AdmissionRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The process holds `maxConnections` TCP connections.
    case serverFull(limit: Int)
    /// The room holds `maxConnectionsPerRoom` WebSockets.
    case roomFull(limit: Int)
    /// The room is locked: by itself (`room.lock()`), or because every seat under its type's
    /// `maxClients` is taken or reserved (`full`).
    case roomLocked(full: Bool)
    /// `maxLiveRooms` rooms have an actor.
    case tooManyRooms(limit: Int)
    /// `maxPendingActivations` rooms are starting.
    case tooManyStarting(limit: Int)

    /// Which limit, as a short name for log metadata.
    package var limitName: String {
        switch self {
        case .serverFull: "maxConnections"
        case .roomFull: "maxConnectionsPerRoom"
        case .roomLocked(let full): full ? "maxClients" : "locked"
        case .tooManyRooms: "maxLiveRooms"
        case .tooManyStarting: "maxPendingActivations"
        }
    }

    /// A sentence for the client: what is full and that it may retry.
    package var description: String {
        switch self {
        case .serverFull(let limit): "server at capacity (\(limit) connections); try again later"
        case .roomFull(let limit): "room full (\(limit) connections); try again later"
        case .roomLocked(let full):
            full
                ? "room full: every seat is taken or reserved; find another room (POST /_party/match) or try again later"
                : "room locked: it takes no new clients now; find another room (POST /_party/match) or try again later"
        case .tooManyRooms(let limit): "server at capacity (\(limit) live rooms); try again later"
        case .tooManyStarting(let limit): "server busy starting rooms (\(limit) at once); try again shortly"
        }
    }

    /// Seconds the client should wait: a starting room is a matter of moments, the others longer.
    package var retryAfterSeconds: Int {
        if case .tooManyStarting = self { return 1 }
        return 5
    }

    /// The HTTP answer: 503 with `Retry-After` and the JSON error body.
    package var response: Response {
        var response = Response.error(.serviceUnavailable, description)
        response.headers[.retryAfter] = String(retryAfterSeconds)
        return response
    }
}
