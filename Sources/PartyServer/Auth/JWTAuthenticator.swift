import Foundation
import HTTPTypes
import JWTKit

/// Verifies the token of a request with the configured keys and the application's clock, and
/// turns its claims into a `User`.
public final class JWTAuthenticator: Sendable {
    /// The configuration it verifies with.
    public let configuration: JWTAuthentication
    private let collection: JWTKeyCollection
    private let algorithms: Set<String>
    private let clock: any PartyClock

    /// Loads the keys; `clock` decides whether `exp` and `nbf` have passed.
    public init(configuration: JWTAuthentication, clock: any PartyClock = SystemClock()) async {
        self.configuration = configuration
        self.clock = clock
        let collection = JWTKeyCollection()
        for (index, key) in configuration.keys.enumerated() {
            await key.add(to: collection, kid: JWKIdentifier(string: "key-\(index)"))
        }
        self.collection = collection
        self.algorithms = Set(configuration.keys.map(\.algorithm))
    }

    /// The token a request carries: `Authorization: Bearer`, else the query parameter.
    public func token(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return request.queryValue(configuration.queryParameter)
    }

    /// Verifies the request's token and returns its user.
    public func authenticate(_ request: Request) async throws(JWTAuthenticationError) -> User {
        guard let token = token(in: request), !token.isEmpty else {
            throw .missingToken(queryParameter: configuration.queryParameter)
        }
        return try await verify(token)
    }

    /// Verifies `token`: algorithm, signature, times, issuer and audience, subject.
    public func verify(_ token: String) async throws(JWTAuthenticationError) -> User {
        guard token.utf8.count <= 16 * 1024, let algorithm = Self.algorithm(of: token) else { throw .malformed }
        guard algorithms.contains(algorithm) else { throw .unsupportedAlgorithm(algorithm) }
        let claims: JWTUserClaims
        do {
            claims = try await collection.verify(token, as: JWTUserClaims.self, iteratingKeys: true)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalidSignature
        } catch let error as JWTError where error.errorType == .malformedToken {
            throw .malformed
        } catch is DecodingError {
            throw .malformed
        } catch {
            throw .invalidSignature
        }
        let now = clock.now
        let leeway = Self.seconds(configuration.leeway)
        if let expiration = claims.expiration {
            guard now.timeIntervalSince(expiration) < leeway else { throw .expired }
        } else if configuration.requireExpiration {
            throw .missingExpiration
        }
        if let notBefore = claims.notBefore, notBefore.timeIntervalSince(now) > leeway { throw .notYetValid }
        if let issuer = configuration.issuer, claims.issuer != issuer { throw .wrongIssuer }
        if let audience = configuration.audience, !claims.audience.contains(audience) { throw .wrongAudience }
        guard let user = claims.user else { throw .missingSubject }
        return user
    }

    /// The `alg` of a token's header, or `nil` when the token is not three base64url parts with
    /// a JSON header.
    static func algorithm(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URL: parts[0]) else { return nil }
        struct Header: Decodable { var alg: String }
        return (try? JSONDecoder().decode(Header.self, from: data))?.alg
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension Data {
    /// Decodes base64url without padding (RFC 7515); `nil` when it is not.
    init?(base64URL text: Substring) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}

extension JWTAuthenticationError {
    /// The 401 a refused token produces, with `WWW-Authenticate: Bearer`.
    var rejection: Rejection {
        Rejection(.unauthorized, description, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
    }
}

extension JWTAuthenticator: RequestAuthenticator {
    /// The user of the request's token, or a 401 `Rejection` saying what is wrong with it.
    package func user(for request: Request) async throws(Rejection) -> User {
        do {
            return try await authenticate(request)
        } catch {
            throw error.rejection
        }
    }

    /// The user of `token`, or a 401 `Rejection` saying what is wrong with it.
    package func user(forToken token: String) async throws(Rejection) -> User {
        do {
            return try await verify(token)
        } catch {
            throw error.rejection
        }
    }
}
