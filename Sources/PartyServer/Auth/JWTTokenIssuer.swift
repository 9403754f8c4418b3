import Foundation
import JWTKit

/// Signs tokens that `JWTAuthentication` with the same key (or its public half) accepts: for
/// your own login endpoint, for tests, and for `partyserver token create`.
///
/// ```swift
/// let issuer = try JWTTokenIssuer(key: .hs256(secret: secret))
/// let token = try await issuer.token(subject: "alice", expiresIn: .seconds(3600), name: "Alice")
/// ```
public struct JWTTokenIssuer: Sendable {
    private let key: JWTKey

    /// An issuer signing with `key` (an HS256 secret or an ES256 private key).
    public init(key: JWTKey) throws(JWTKeyError) {
        guard key.canSign else { throw .cannotSign }
        self.key = key
    }

    /// A signed token for `subject` that expires `expiresIn` after `now`; other claims are optional.
    public func token(
        subject: String,
        expiresIn: Duration,
        name: String? = nil,
        roles: [String] = [],
        claims: [String: String] = [:],
        issuer: String? = nil,
        audience: String? = nil,
        now: Date = Date()
    ) async throws -> String {
        let seconds = Double(expiresIn.components.seconds) + Double(expiresIn.components.attoseconds) / 1e18
        let payload = JWTUserClaims(
            subject: subject,
            expiration: now.addingTimeInterval(seconds),
            issuedAt: now,
            issuer: issuer,
            audience: audience.map { [$0] } ?? [],
            name: name,
            roles: roles,
            extra: claims
        )
        let collection = JWTKeyCollection()
        await key.add(to: collection, kid: JWKIdentifier(string: "key-0"))
        var header = JWTHeader()
        header.typ = "JWT"
        return try await collection.sign(payload, header: header)
    }
}
