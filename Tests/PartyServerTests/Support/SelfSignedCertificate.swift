import Crypto
import Foundation
import SwiftASN1
import X509

/// A self-signed P-256 certificate for `localhost` and 127.0.0.1, made for one test and written
/// as PEM files to a temporary directory.
struct SelfSignedCertificate {
    /// The certificate, PEM.
    let certificatePEM: String
    /// Its private key, PEM (PKCS#8).
    let privateKeyPEM: String
    /// Where both files are.
    let directory: String

    var certificatePath: String { directory + "/cert.pem" }
    var privateKeyPath: String { directory + "/key.pem" }

    /// Makes the certificate (valid from an hour ago for a day) and writes both files.
    static func make() throws -> SelfSignedCertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("localhost") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let made = SelfSignedCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            directory: directory
        )
        try made.certificatePEM.write(toFile: made.certificatePath, atomically: true, encoding: .utf8)
        try made.privateKeyPEM.write(toFile: made.privateKeyPath, atomically: true, encoding: .utf8)
        return made
    }

    /// Removes the files.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
