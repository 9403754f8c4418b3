import ArgumentParser
import Foundation
import PartyServer

/// The JSON Web Token key options shared by `serve` and `token create`.
struct TokenKeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("File holding the HS256 secret (at least 32 bytes; a trailing newline is ignored). Without it, PARTYSERVER_JWT_SECRET is used when set.", valueName: "path"))
    var jwtSecretFile: String?

    @Option(help: ArgumentHelp("PEM file of an ES256 (P-256) public key that verifies tokens (serve only).", valueName: "path"))
    var jwtPublicKey: String?

    @Option(help: ArgumentHelp("PEM file of an ES256 (P-256) private key: signs tokens (token create) or verifies them (serve).", valueName: "path"))
    var jwtPrivateKey: String?

    @Option(help: ArgumentHelp("Issuer (iss) that tokens must carry (serve) or carry (token create).", valueName: "issuer"))
    var jwtIssuer: String?

    @Option(help: ArgumentHelp("Audience (aud) that tokens must contain (serve) or contain (token create).", valueName: "audience"))
    var jwtAudience: String?

    /// The configured keys, read from files and the environment; errors name the option.
    func keys(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [JWTKey] {
        var keys: [JWTKey] = []
        if let path = jwtSecretFile {
            var data = try Self.read(path, option: "--jwt-secret-file")
            while let last = data.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { data.removeLast() }
            keys.append(try Self.key("--jwt-secret-file") { () throws(JWTKeyError) in try .hs256(secret: data) })
        } else if let secret = environment["PARTYSERVER_JWT_SECRET"], !secret.isEmpty {
            keys.append(try Self.key("PARTYSERVER_JWT_SECRET") { () throws(JWTKeyError) in try .hs256(secret: Data(secret.utf8)) })
        }
        if let path = jwtPublicKey {
            let pem = String(decoding: try Self.read(path, option: "--jwt-public-key"), as: UTF8.self)
            keys.append(try Self.key("--jwt-public-key") { () throws(JWTKeyError) in try .es256(publicKeyPEM: pem) })
        }
        if let path = jwtPrivateKey {
            let pem = String(decoding: try Self.read(path, option: "--jwt-private-key"), as: UTF8.self)
            keys.append(try Self.key("--jwt-private-key") { () throws(JWTKeyError) in try .es256(privateKeyPEM: pem) })
        }
        return keys
    }

    private static func read(_ path: String, option: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(option): cannot read \(path.debugDescription)")
        }
        return data
    }

    private static func key(_ source: String, _ make: () throws(JWTKeyError) -> JWTKey) throws -> JWTKey {
        do {
            return try make()
        } catch {
            throw ValidationError("\(source): \(error)")
        }
    }
}
