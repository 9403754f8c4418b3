/// How worker credentials travel, shared by the server (which checks them) and the client (which
/// sends them): `Authorization: PartyWorker ID:SECRET`, and the environment variables that
/// `partyserver worker create` prints.
public enum WorkerCredentialFormat {
    /// The authorization scheme workers use.
    public static let scheme = "PartyWorker"
    /// The environment variable holding the worker id.
    public static let idVariable = "PARTYSERVER_WORKER_ID"
    /// The environment variable holding the worker secret.
    public static let secretVariable = "PARTYSERVER_WORKER_SECRET"

    /// The `Authorization` header value for `id` and `secret`.
    public static func authorization(id: String, secret: String) -> String {
        "\(scheme) \(id):\(secret)"
    }

    /// The id and secret in an `Authorization` header value, or `nil` if it is not the worker
    /// scheme. The scheme matches in any ASCII case (`partyworker`), and nothing else (not
    /// `PartyWor\u{212A}er`); spaces after it are skipped; the secret is everything after the first colon.
    public static func parse(authorization value: String) -> (id: String, secret: String)? {
        var rest = value.unicodeScalars[...]
        for expected in (scheme + " ").unicodeScalars {
            guard let next = rest.first, asciiLowercased(next) == asciiLowercased(expected) else { return nil }
            rest = rest.dropFirst()
        }
        rest = rest.drop(while: { $0 == " " })
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return (String(Substring(rest[..<colon])), String(Substring(rest[rest.index(after: colon)...])))
    }

    private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
    }
}
