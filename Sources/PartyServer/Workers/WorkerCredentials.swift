/// A worker's id and secret, as printed by `partyserver worker create`.
///
/// Workers present them in the `Authorization` header: `Authorization: PartyWorker ID:SECRET`.
/// The server checks them before any room starts or wakes; rooms then see `connection.user` (or
/// `request.user`) with the worker's id, name and the `worker` role.
public struct WorkerCredentials: Sendable, Equatable {
    /// The authorization scheme workers use.
    public static let scheme = WorkerCredentialFormat.scheme
    /// The environment variable holding the worker id.
    public static let idVariable = WorkerCredentialFormat.idVariable
    /// The environment variable holding the worker secret.
    public static let secretVariable = WorkerCredentialFormat.secretVariable

    /// The account id (`wk_` and 24 hex digits).
    public var id: String
    /// The secret (64 hex digits); the server stores only its SHA-256 hash.
    public var secret: String

    /// Credentials from an id and a secret.
    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Credentials from `PARTYSERVER_WORKER_ID` and `PARTYSERVER_WORKER_SECRET` in `environment`.
    public init?(environment: [String: String]) {
        guard let id = environment[Self.idVariable], let secret = environment[Self.secretVariable], !id.isEmpty, !secret.isEmpty else {
            return nil
        }
        self.init(id: id, secret: secret)
    }

    /// The `Authorization` header value: `PartyWorker ID:SECRET`.
    public var authorization: String { WorkerCredentialFormat.authorization(id: id, secret: secret) }

    /// The credentials in an `Authorization` header value, or `nil` if it is not the worker scheme.
    /// The scheme matches in any ASCII case (`partyworker`), and nothing else (not `PartyWor\u{212A}er`).
    public init?(authorization value: String) {
        guard let (id, secret) = WorkerCredentialFormat.parse(authorization: value) else { return nil }
        self.init(id: id, secret: secret)
    }

    /// The lines `partyserver worker create` prints, ready for a shell or an env file.
    public var environmentLines: String {
        "\(Self.idVariable)=\(id)\n\(Self.secretVariable)=\(secret)"
    }
}
