/// Why a token was refused; the description is sent to the client in the 401 body.
public enum JWTAuthenticationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `Authorization: Bearer` header and no token query parameter.
    case missingToken(queryParameter: String)
    /// Not three base64url parts with a JSON header and payload.
    case malformed
    /// The header names an algorithm no configured key uses (`none` included).
    case unsupportedAlgorithm(String)
    /// No configured key verifies the signature.
    case invalidSignature
    /// `exp` is in the past.
    case expired
    /// `nbf` is in the future.
    case notYetValid
    /// The token has no `exp` and expiring tokens are required.
    case missingExpiration
    /// The token has no `sub`.
    case missingSubject
    /// `iss` is not the configured issuer.
    case wrongIssuer
    /// `aud` does not contain the configured audience.
    case wrongAudience
    /// The application has no JWT keys configured but a hook asked to authenticate.
    case notConfigured

    /// A sentence for the client: what is wrong with the token and what to do.
    public var description: String {
        switch self {
        case .missingToken(let parameter):
            "a token is required: send Authorization: Bearer TOKEN or the \(parameter) query parameter"
        case .malformed: "the token is not a well-formed JWT"
        case .unsupportedAlgorithm(let name): "tokens signed with \(name.prefix(20).debugDescription) are not accepted"
        case .invalidSignature: "the token's signature is not valid"
        case .expired: "the token has expired; get a new one"
        case .notYetValid: "the token is not valid yet (nbf)"
        case .missingExpiration: "the token has no expiry (exp)"
        case .missingSubject: "the token has no subject (sub)"
        case .wrongIssuer: "the token was issued by someone else (iss)"
        case .wrongAudience: "the token is meant for another audience (aud)"
        case .notConfigured: "token authentication is not configured on this server"
        }
    }
}
