/// An authenticated user attached to a request or connection by a before-hook or an authenticator.
public struct User: Sendable, Codable, Equatable {
    /// Stable user id (for example a token's `sub`).
    public var id: String
    /// Display name, when known.
    public var name: String?
    /// Roles such as `worker` or `admin`.
    public var roles: Set<String>
    /// Further verified claims.
    public var claims: [String: String]

    /// Creates a user.
    public init(id: String, name: String? = nil, roles: Set<String> = [], claims: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.roles = roles
        self.claims = claims
    }

    /// Whether the user has `role`.
    public func has(role: String) -> Bool { roles.contains(role) }
}
