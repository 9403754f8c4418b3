import Foundation
import JWTKit

/// A key that signs or verifies tokens: an HS256 secret, or an ES256 (P-256) public or private key.
public struct JWTKey: Sendable {
    enum Material: Sendable {
        case hmac(HMACKey)
        case ecdsaPublic(ES256PublicKey)
        case ecdsaPrivate(ES256PrivateKey)
    }

    let material: Material

    /// The shortest HS256 secret accepted, in bytes (RFC 7518: at least the hash size).
    public static let minimumSecretBytes = 32

    /// An HS256 key: the same secret signs and verifies. At least 32 bytes.
    public static func hs256(secret: some DataProtocol) throws(JWTKeyError) -> JWTKey {
        let bytes = [UInt8](secret)
        guard bytes.count >= minimumSecretBytes else { throw .secretTooShort(bytes.count) }
        return JWTKey(material: .hmac(HMACKey(from: bytes)))
    }

    /// An ES256 key that verifies only, from a PEM `PUBLIC KEY` (or a certificate).
    public static func es256(publicKeyPEM pem: String) throws(JWTKeyError) -> JWTKey {
        do {
            if pem.contains("BEGIN CERTIFICATE") {
                return JWTKey(material: .ecdsaPublic(try ES256PublicKey(certificate: pem)))
            }
            return JWTKey(material: .ecdsaPublic(try ES256PublicKey(pem: pem)))
        } catch {
            throw .invalidPEM("not a P-256 public key or certificate: \(error)")
        }
    }

    /// An ES256 key that signs and verifies, from a PEM `PRIVATE KEY` / `EC PRIVATE KEY`.
    public static func es256(privateKeyPEM pem: String) throws(JWTKeyError) -> JWTKey {
        do {
            return JWTKey(material: .ecdsaPrivate(try ES256PrivateKey(pem: pem)))
        } catch {
            throw .invalidPEM("not a P-256 private key: \(error)")
        }
    }

    /// The JWS algorithm name: `HS256` or `ES256`.
    public var algorithm: String {
        switch material {
        case .hmac: "HS256"
        case .ecdsaPublic, .ecdsaPrivate: "ES256"
        }
    }

    /// Whether the key can sign tokens (an HS256 secret or an ES256 private key).
    public var canSign: Bool {
        if case .ecdsaPublic = material { return false }
        return true
    }

    /// Adds the key to `collection` under `kid`.
    func add(to collection: JWTKeyCollection, kid: JWKIdentifier) async {
        switch material {
        case .hmac(let key): await collection.add(hmac: key, digestAlgorithm: .sha256, kid: kid)
        case .ecdsaPublic(let key): await collection.add(ecdsa: key, kid: kid)
        case .ecdsaPrivate(let key): await collection.add(ecdsa: key, kid: kid)
        }
    }
}

/// A key that cannot be used, with what to do about it.
public enum JWTKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An HS256 secret shorter than 32 bytes.
    case secretTooShort(Int)
    /// PEM text that is not a usable key.
    case invalidPEM(String)
    /// A verification-only key was asked to sign.
    case cannotSign

    /// A sentence that says what is wrong and what to do.
    public var description: String {
        switch self {
        case .secretTooShort(let count):
            "an HS256 secret must be at least \(JWTKey.minimumSecretBytes) bytes, got \(count); generate one with `openssl rand -base64 48`"
        case .invalidPEM(let detail):
            "\(detail); generate a key with `openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt` and its public key with `openssl ec -pubout`"
        case .cannotSign:
            "this key only verifies tokens; sign with the HS256 secret or the ES256 private key"
        }
    }
}
