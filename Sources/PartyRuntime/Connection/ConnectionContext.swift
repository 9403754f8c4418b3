/// What `onConnect` and `getConnectionTags` learn about a new connection: its upgrade request.
public struct ConnectionContext: Sendable {
    /// The upgrade request, as returned by `onBeforeConnect` (URL, query, headers, user, properties).
    public let request: Request

    /// Creates a context.
    public init(request: Request) {
        self.request = request
    }

    /// The user attached by `onBeforeConnect` or an authenticator, if any.
    public var user: User? { request.user }

    /// The client's IP address (see `Request.remoteAddress`).
    public var remoteAddress: String? { request.remoteAddress }

    /// The `auth` value of the connection token the client presented (see `Request.auth`).
    public var auth: JSONPayload? { request.auth }
}
