import HTTPTypes

extension PartyFront {
    /// The control API's rules for a connection or request, before any room wakes (called just
    /// after worker authentication; `worker` when the request carries verified worker credentials):
    ///
    /// - a room that is terminating refuses newcomers with 503 (`Retry-After: 1`);
    /// - a room spawned with a user requires a valid connection token (`?token=` or
    ///   `Authorization: Bearer`), else 401; a verified worker needs none;
    /// - a valid token makes its user the request's `user` and its `auth` the request's `auth`.
    ///
    /// Tokens are only checked for rooms created through the control API (no other room can have
    /// one); a token that is not valid for a room that does not require one is left to JWT
    /// authentication and the room's own hooks. A valid one sets `user`, so JWT authentication
    /// (`jwt.required`) lets the request through. For other rooms this is one dictionary lookup.
    func checkControlAccess(_ request: inout Request, lobby: Lobby, worker: Bool) async -> Response? {
        let directory = edge.directory
        let access = directory.access(RoomKey(server: lobby.server, name: lobby.name))
        if access?.isTerminating == true {
            var response = Response.error(.serviceUnavailable, "the room is terminating; connect again once it has terminated")
            response.headers[.retryAfter] = "1"
            return response
        }
        guard let access, access.viaControl, !worker else { return nil }
        let requiresToken = access.requiresToken
        guard let token = Self.connectionToken(in: request) else {
            guard !requiresToken else {
                logger.info("refused a connection without a connection token", metadata: ["target": "\(Self.loggable(request.uri))"])
                return .error(.unauthorized, "this room requires a connection token: pass the token from connect as ?token= or Authorization: Bearer")
            }
            return nil
        }
        guard let grant = await directory.tokens.verify(token, server: lobby.server, name: lobby.name) else {
            guard !requiresToken else {
                logger.info("refused an invalid connection token", metadata: ["target": "\(Self.loggable(request.uri))"])
                return .error(.unauthorized, "the connection token is invalid, expired, or for another room; ask the backend for a new one")
            }
            return nil
        }
        request.user = User(id: grant.user)
        request.auth = grant.auth
        return nil
    }

    /// The `token` query parameter, else an `Authorization: Bearer` value.
    static func connectionToken(in request: Request) -> String? {
        if let token = request.queryValue("token"), !token.isEmpty { return token }
        guard let authorization = request.headers[.authorization] else { return nil }
        let scheme = authorization.prefix(7)
        guard scheme == "Bearer " || scheme == "bearer " else { return nil }
        let token = authorization.dropFirst(7)
        return token.isEmpty ? nil : String(token)
    }
}
