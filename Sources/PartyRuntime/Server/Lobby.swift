/// Where a request is going, as seen by the static before-hooks (no room exists yet).
public struct Lobby: Sendable, Equatable {
    /// The route name of the server type (`chat`, `chat-room`).
    public let server: String
    /// The room name, percent-decoded and validated.
    public let name: String
    /// The application's token verifier, when `PartyConfiguration.jwt` is set.
    package var authenticator: (any RequestAuthenticator)?

    /// Creates a lobby value.
    public init(server: String, name: String) {
        self.server = server
        self.name = name
    }

    /// Two lobbies are equal when they name the same room.
    public static func == (lhs: Lobby, rhs: Lobby) -> Bool {
        lhs.server == rhs.server && lhs.name == rhs.name
    }

    /// Verifies the request's JSON Web Token (`Authorization: Bearer` or the `token` query
    /// parameter) with the keys of `PartyConfiguration.jwt` and returns the request with `user`
    /// set from its claims. Call it from `onBeforeConnect` / `onBeforeRequest`; a missing or
    /// invalid token throws a 401 `Rejection`, so no room starts. A request that already has a
    /// user (a worker, or a token checked because `JWTAuthentication.required` is set) is returned
    /// unchanged.
    public func authenticate(_ request: Request) async throws(Rejection) -> Request {
        if request.user != nil { return request }
        guard let authenticator else {
            throw Rejection(.internalServerError, "token authentication is not configured on this server")
        }
        var request = request
        request.user = try await authenticator.user(for: request)
        return request
    }
}

/// Verifies who a request comes from (the application's JSON Web Token authenticator).
package protocol RequestAuthenticator: Sendable {
    /// The user the request's credentials name; a 401 `Rejection` when they are missing or invalid.
    func user(for request: Request) async throws(Rejection) -> User
    /// The user `token` names; a 401 `Rejection` when it is invalid.
    func user(forToken token: String) async throws(Rejection) -> User
}
