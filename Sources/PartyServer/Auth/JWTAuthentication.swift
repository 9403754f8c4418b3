/// How room requests and WebSocket upgrades are authenticated with JSON Web Tokens; every field
/// has a documented default.
///
/// ```swift
/// var configuration = PartyConfiguration()
/// configuration.jwt = JWTAuthentication(keys: [try .hs256(secret: secretBytes)])
/// ```
///
/// A token is read from `Authorization: Bearer TOKEN` or the `token` query parameter (browsers
/// cannot set headers on a WebSocket). A verified token becomes the request's and the
/// connection's `user`: `sub` → `id`, `name` → `name`, `roles` → `roles`, every other claim →
/// `claims`. A missing or invalid token is refused with 401 and a JSON error before any room
/// starts or wakes.
public struct JWTAuthentication: Sendable {
    /// Keys that may have signed a token; at least one. HS256 and ES256 may be mixed.
    public var keys: [JWTKey]
    /// Whether every room request and upgrade must carry a valid token, checked before the
    /// before-hooks (requests with worker credentials are exempt). With `false`, only server
    /// types whose hooks call `lobby.authenticate(_:)` check tokens. Default `true`.
    public var required: Bool
    /// The `iss` a token must carry, or `nil` to accept any. Default `nil`.
    public var issuer: String?
    /// A value the token's `aud` must contain, or `nil` to accept any. Default `nil`.
    public var audience: String?
    /// Whether a token without `exp` is refused (a token that never expires is a password).
    /// Default `true`.
    public var requireExpiration: Bool
    /// Clock skew tolerated when checking `exp` and `nbf`. Default 5 seconds.
    public var leeway: Duration
    /// The query parameter that may carry the token. Default `token`.
    public var queryParameter: String

    /// Creates a configuration; every argument but `keys` has its documented default.
    public init(
        keys: [JWTKey],
        required: Bool = true,
        issuer: String? = nil,
        audience: String? = nil,
        requireExpiration: Bool = true,
        leeway: Duration = .seconds(5),
        queryParameter: String = "token"
    ) {
        self.keys = keys
        self.required = required
        self.issuer = issuer
        self.audience = audience
        self.requireExpiration = requireExpiration
        self.leeway = leeway
        self.queryParameter = queryParameter
    }
}
