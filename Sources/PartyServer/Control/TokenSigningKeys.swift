import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The keys of connection tokens: one signs new tokens, every one verifies them (rotation).
///
/// The signing key is `ControlConfiguration.tokenSigningKey`, else the file `control-token.key`
/// in the data directory, made with 32 random bytes (mode 0600) the first time; so tokens stay
/// valid across restarts. `previousTokenSigningKeys` only verify.
package struct TokenSigningKeys: Sendable {
    /// The key that signs new tokens.
    package var current: Data
    /// Keys that still verify tokens signed before a rotation.
    package var previous: [Data]

    /// The file that holds the signing key when none is configured.
    package static let fileName = "control-token.key"
    /// The shortest key accepted, in bytes.
    package static let minimumBytes = 32

    /// A random key for this process only (in-memory setups and tests).
    package static func random() -> TokenSigningKeys {
        TokenSigningKeys(current: randomBytes(), previous: [])
    }

    /// The keys `configuration` names, or the data directory's key file (created if missing).
    /// Throws when a key is shorter than 32 bytes or the file cannot be used.
    package static func load(_ configuration: ControlConfiguration, dataDirectory: String) throws(ControlError) -> TokenSigningKeys {
        let previous = try previousKeys(configuration)
        if let key = configuration.tokenSigningKey {
            return TokenSigningKeys(current: try configured(key, label: "control.tokenSigningKey"), previous: previous)
        }
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
        return TokenSigningKeys(current: try keyFile(path), previous: previous)
    }

    /// On a node of a cluster: the configured keys, else a key derived from the secret the
    /// nodes share (HMAC-SHA256), so a token any node issued is valid on every node.
    package static func shared(_ configuration: ControlConfiguration, secret: String) throws(ControlError) -> TokenSigningKeys {
        guard configuration.tokenSigningKey == nil else { return try load(configuration, dataDirectory: "") }
        let previous = try previousKeys(configuration)
        let derived = HMAC<SHA256>.authenticationCode(for: Data("partyserver connection tokens".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return TokenSigningKeys(current: Data(derived), previous: previous)
    }

    /// The configured keys that only verify.
    private static func previousKeys(_ configuration: ControlConfiguration) throws(ControlError) -> [Data] {
        var previous: [Data] = []
        for (index, key) in configuration.previousTokenSigningKeys.enumerated() {
            previous.append(try configured(key, label: "control.previousTokenSigningKeys[\(index)]"))
        }
        return previous
    }

    private static func configured(_ key: String, label: String) throws(ControlError) -> Data {
        let bytes = Data(key.utf8)
        guard bytes.count >= minimumBytes else {
            throw .invalidArgument(
                "\(label) is \(bytes.count) bytes; use at least \(minimumBytes) random bytes (for example `openssl rand -base64 48`)"
            )
        }
        return bytes
    }

    /// Reads the key file, creating it with a new random key (mode 0600) if it does not exist;
    /// a file others can read gets mode 0600.
    static func keyFile(_ path: String) throws(ControlError) -> Data {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            let key = randomBytes()
            let written = key.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor) == 0
            close(descriptor)
            guard written == key.count, synced else {
                unlink(path)
                throw .tokenKeyUnusable(path: path, "could not write a new key (errno \(errno))")
            }
            return key
        }
        guard errno == EEXIST else {
            throw .tokenKeyUnusable(path: path, "could not create it: \(String(cString: strerror(errno)))")
        }
        let files = FileManager.default
        if let mode = (try? files.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            do {
                try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } catch {
                throw .tokenKeyUnusable(path: path, "others may read it and its mode could not be set to 0600: \(error)")
            }
        }
        guard let key = files.contents(atPath: path) else {
            throw .tokenKeyUnusable(path: path, "it cannot be read; make it readable by the server's user only")
        }
        guard key.count >= minimumBytes else {
            throw .tokenKeyUnusable(path: path, "it holds \(key.count) bytes, fewer than \(minimumBytes)")
        }
        return key
    }

    private static func randomBytes() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }
}
