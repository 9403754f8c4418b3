import Crypto
import Foundation

/// The control API's key, kept only as digests: a presented key (or inspector cookie) is hashed
/// and the digests are compared in constant time, so timing reveals nothing about the key.
struct APIKey: Sendable {
    private let keyDigest: SHA256.Digest
    /// The inspector's cookie value: derived from the key, so the browser never stores the key.
    let sessionValue: String
    private let sessionDigest: SHA256.Digest

    init(_ key: String) {
        keyDigest = SHA256.hash(data: Data(key.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Data("partyserver-inspector-session".utf8), using: SymmetricKey(data: Data(key.utf8)))
        sessionValue = Data(code).map { String(format: "%02x", $0) }.joined()
        sessionDigest = SHA256.hash(data: Data(sessionValue.utf8))
    }

    /// Whether `candidate` is the key.
    func matches(_ candidate: String) -> Bool {
        SHA256.hash(data: Data(candidate.utf8)) == keyDigest
    }

    /// Whether `candidate` is the inspector's cookie value.
    func matchesSession(_ candidate: String) -> Bool {
        SHA256.hash(data: Data(candidate.utf8)) == sessionDigest
    }
}
