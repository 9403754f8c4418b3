import ArgumentParser
import Foundation
import PartyServer

/// `partyserver token create`: prints a signed JSON Web Token, for trying out authentication.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Sign JSON Web Tokens with the server's key, for trying out authentication.",
        subcommands: [Create.self]
    )

    /// `token create --sub USER [--ttl SECONDS]`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a token for USER signed with the HS256 secret (--jwt-secret-file or PARTYSERVER_JWT_SECRET) or the ES256 private key (--jwt-private-key).",
            discussion: """
                Connect with it as ws://HOST/parties/SERVER/NAME?token=TOKEN or send \
                Authorization: Bearer TOKEN; the room sees it as connection.user.
                """
        )

        @Option(help: "The user id (sub claim).")
        var sub: String

        @Option(help: "Seconds until the token expires (1 to 31536000).")
        var ttl: Int = 3600

        @Option(help: "Display name (name claim).")
        var name: String?

        @Option(help: "A role (roles claim); repeat for more.")
        var role: [String] = []

        @Option(help: ArgumentHelp("A further claim as KEY=VALUE; repeat for more.", valueName: "key=value"))
        var claim: [String] = []

        @OptionGroup var keys: TokenKeyOptions

        func validate() throws {
            guard !sub.isEmpty else { throw ValidationError("--sub must not be empty") }
            guard (1...31_536_000).contains(ttl) else { throw ValidationError("--ttl must be between 1 and 31536000 seconds, got \(ttl)") }
            for item in claim where !item.contains("=") || item.hasPrefix("=") {
                throw ValidationError("--claim must be KEY=VALUE, got \(item.debugDescription)")
            }
        }

        func run() async throws {
            let signing = try keys.keys().filter(\.canSign)
            guard let key = signing.last else {
                throw ValidationError("no signing key: pass --jwt-secret-file, set PARTYSERVER_JWT_SECRET, or pass --jwt-private-key")
            }
            var claims: [String: String] = [:]
            for item in claim {
                let parts = item.split(separator: "=", maxSplits: 1)
                claims[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            let issuer = try JWTTokenIssuer(key: key)
            print(
                try await issuer.token(
                    subject: sub, expiresIn: .seconds(ttl), name: name, roles: role, claims: claims,
                    issuer: keys.jwtIssuer, audience: keys.jwtAudience
                )
            )
        }
    }
}
