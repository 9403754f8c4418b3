extension Room {
    /// Whether the application verifies JSON Web Tokens (`PartyConfiguration.jwt` is set), so
    /// `verifyToken(_:)` can be called.
    public var verifiesTokens: Bool { services.tokenVerifier != nil }

    /// Verifies `token`, a JSON Web Token a client sent inside a message (not with its upgrade
    /// request), with the keys and rules of `PartyConfiguration.jwt`, and returns the user its
    /// claims name (`sub` as `id`). Throws a 401 `Rejection` saying what is wrong with the token,
    /// or a 500 one when no token keys are configured.
    public func verifyToken(_ token: String) async throws(Rejection) -> User {
        guard let verifier = services.tokenVerifier else {
            throw Rejection(.internalServerError, "token authentication is not configured on this server")
        }
        return try await verifier.user(forToken: token)
    }
}
