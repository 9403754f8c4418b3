import Crypto
import Foundation
import JWTKit
import Synchronization

/// Signs and checks connection tokens: HS256 JWTs bound to one room and one user, signed with a
/// random key made when the application starts (so tokens do not outlive the process), and
/// valid for `ControlConfiguration.tokenLifetime` on the application's clock.
package final class ConnectionTokens: Sendable {
    /// What a valid token grants a connection.
    package struct Grant: Sendable, Equatable {
        /// The user the room sees.
        package var user: String
        /// The backend's `auth` value.
        package var auth: JSONPayload?
    }

    private let keys = JWTKeyCollection()
    private let secret = SymmetricKey(size: .bits256)
    private let keyAdded = Mutex(false)
    private let clock: any PartyClock
    private let lifetime: Duration

    init(clock: any PartyClock, lifetime: Duration) {
        self.clock = clock
        self.lifetime = lifetime
    }

    /// A token for `user` to connect to `server/name`, valid for the configured lifetime.
    package func sign(server: String, name: String, user: String, auth: JSONPayload?) async throws(ControlError) -> String {
        let claims = ConnectionTokenClaims(
            sub: SubjectClaim(value: user),
            exp: ExpirationClaim(value: clock.now.addingTimeInterval(lifetime.timeInterval)),
            srv: server, room: name, auth: auth
        )
        do {
            return try await collection().sign(claims)
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
        if !keyAdded.withLock({ $0 }) {
            // Adding the same key twice (two first calls racing) is harmless.
            await keys.add(hmac: HMACKey(key: secret), digestAlgorithm: .sha256)
            keyAdded.withLock { $0 = true }
        }
        return keys
    }
}
