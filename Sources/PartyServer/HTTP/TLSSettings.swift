import Foundation
import NIOSSL

/// TLS for `https` and `wss`: a PEM certificate chain and its private key, or a full
/// `TLSConfiguration`.
public struct TLSSettings: Sendable {
    enum Source: Sendable {
        case files(certificateChain: String, privateKey: String)
        case configuration(TLSConfiguration)
    }

    let source: Source

    /// TLS from PEM files: the certificate chain (leaf first) and its private key.
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.source = .files(certificateChain: certificateChainPath, privateKey: privateKeyPath)
    }

    /// TLS from a ready server `TLSConfiguration` (client certificates, ciphers, ALPN…).
    public init(configuration: TLSConfiguration) {
        self.source = .configuration(configuration)
    }

    /// The server configuration, reading and checking the files; errors name the file.
    func makeConfiguration() throws(TLSSettingsError) -> TLSConfiguration {
        switch source {
        case .configuration(let configuration):
            return configuration
        case .files(let certificatePath, let keyPath):
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            } catch {
                throw .unreadableCertificate(path: certificatePath, detail: "\(error)")
            }
            guard !chain.isEmpty else { throw .unreadableCertificate(path: certificatePath, detail: "no certificate in the file") }
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw .unreadableKey(path: keyPath, detail: "\(error)")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(key)
            )
            configuration.minimumTLSVersion = .tlsv12
            do {
                _ = try NIOSSLContext(configuration: configuration)
            } catch {
                throw .mismatchedKey(certificatePath: certificatePath, keyPath: keyPath, detail: "\(error)")
            }
            return configuration
        }
    }
}

/// TLS files that cannot be used, with what to do about it.
public enum TLSSettingsError: Error, Sendable, CustomStringConvertible {
    /// The certificate file is missing or not PEM.
    case unreadableCertificate(path: String, detail: String)
    /// The key file is missing or not a PEM private key.
    case unreadableKey(path: String, detail: String)
    /// The key does not belong to the certificate, or the pair is unusable.
    case mismatchedKey(certificatePath: String, keyPath: String, detail: String)

    /// A sentence naming the file and what to do.
    public var description: String {
        switch self {
        case .unreadableCertificate(let path, let detail):
            "cannot read the TLS certificate chain \(path.debugDescription) (\(detail)); pass a PEM file with the certificate first, then its intermediates"
        case .unreadableKey(let path, let detail):
            "cannot read the TLS private key \(path.debugDescription) (\(detail)); pass an unencrypted PEM private key"
        case .mismatchedKey(let certificatePath, let keyPath, let detail):
            "the TLS key \(keyPath.debugDescription) cannot be used with the certificate \(certificatePath.debugDescription) (\(detail)); check that they belong together"
        }
    }
}
