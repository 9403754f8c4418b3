import Crypto
import Foundation
import JWTKit
import Synchronization

/// Signs and checks connection tokens: HS256 JWTs bound to one room and one user, valid for
/// `ControlConfiguration.tokenLifetime` on the application's clock.
///
/// The current key (`TokenSigningKeys`) signs; it and every previous key verify. Each token's
/// `kid` names the key that signed it, so a rotated key keeps its tokens valid while it is
/// listed as a previous key.
package final class ConnectionTokens: Sendable {
    /// What a valid token grants a connection.
    package struct Grant: Sendable, Equatable {
        /// The user the room sees.
        package var user: String
        /// The backend's `auth` value.
        package var auth: JSONPayload?
    }

    private let keys = JWTKeyCollection()
    private let signing: TokenSigningKeys
    private let currentID: JWKIdentifier
    private let keysAdded = Mutex(false)
    private let clock: any PartyClock
    private let lifetime: Duration

    init(clock: any PartyClock, lifetime: Duration, keys: TokenSigningKeys) {
        self.clock = clock
        self.lifetime = lifetime
        self.signing = keys
        self.currentID = Self.identifier(of: keys.current)
    }

    /// A token for `user` to connect to `server/name`, valid for the configured lifetime.
    package func sign(server: String, name: String, user: String, auth: JSONPayload?) async throws(ControlError) -> String {
        let claims = ConnectionTokenClaims(
            sub: SubjectClaim(value: user),
            exp: ExpirationClaim(value: clock.now.addingTimeInterval(lifetime.timeInterval)),
            srv: server, room: name, auth: auth
        )
        do {
            return try await collection().sign(claims, kid: currentID)
        } catch {
            throw .tokenUnavailable("\(error)")
        }
    }

    /// The grant of `token` if it is a valid, unexpired token for `server/name`; nil otherwise.
    package func verify(_ token: String, server: String, name: String) async -> Grant? {
        guard let claims = try? await collection().verify(token, as: ConnectionTokenClaims.self) else { return nil }
        guard claims.srv == server, claims.room == name, clock.now < claims.exp.value else { return nil }
        return Grant(user: claims.sub.value, auth: claims.auth)
    }

    private func collection() async -> JWTKeyCollection {
        if !keysAdded.withLock({ $0 }) {
            // The current key first: it is also the default for tokens without a known `kid`.
            // Adding the keys twice (two first calls racing) is harmless.
            for key in [signing.current] + signing.previous {
                await keys.add(hmac: HMACKey(key: SymmetricKey(data: key)), digestAlgorithm: .sha256, kid: Self.identifier(of: key))
            }
            keysAdded.withLock { $0 = true }
        }
        return keys
    }

    /// A key's `kid`: the start of an HMAC of a fixed text with the key (names the key without revealing it).
    static func identifier(of key: Data) -> JWKIdentifier {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("partyserver connection token key".utf8), using: SymmetricKey(data: key))
        return JWKIdentifier(string: mac.prefix(8).map { String(format: "%02x", $0) }.joined())
    }
}
