import JWTKit

/// The claims of a connection token: who (`sub`), which room (`srv`, `room`), until when (`exp`),
/// and the backend's `auth` value for the room.
struct ConnectionTokenClaims: JWTPayload {
    /// The user id the room sees as `context.user.id`.
    var sub: SubjectClaim
    /// Expiry, checked on the application's clock by `ConnectionTokens`.
    var exp: ExpirationClaim
    /// The server type's route name.
    var srv: String
    /// The room name.
    var room: String
    /// The `auth` value given to `connect`, if any.
    var auth: JSONPayload?

    /// Expiry and room are checked by `ConnectionTokens` against the application's clock and the
    /// requested room, so there is nothing to check here.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
