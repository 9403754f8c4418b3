import Foundation

/// A worker's id and secret (from `partyserver worker create`), sent as
/// `Authorization: PartyWorker ID:SECRET`.
public struct PartyWorkerCredentials: Sendable, Hashable {
    /// The environment variable holding the worker id.
    public static let idVariable = WorkerCredentialFormat.idVariable
    /// The environment variable holding the worker secret.
    public static let secretVariable = WorkerCredentialFormat.secretVariable

    /// The worker id (`wk_…`).
    public var id: String
    /// The worker secret.
    public var secret: String

    /// Credentials from an id and a secret.
    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Credentials from `PARTYSERVER_WORKER_ID` and `PARTYSERVER_WORKER_SECRET`; throws
    /// ``PartySocketError/Code/invalidOptions`` naming the missing variable.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PartySocketError) {
        guard let id = environment[Self.idVariable], !id.isEmpty else {
            throw .invalidOptions("\(Self.idVariable) is not set; create credentials with `partyserver worker create --name NAME`")
        }
        guard let secret = environment[Self.secretVariable], !secret.isEmpty else {
            throw .invalidOptions("\(Self.secretVariable) is not set; create credentials with `partyserver worker create --name NAME`")
        }
        self.init(id: id, secret: secret)
    }

    /// The `Authorization` header value.
    public var authorization: String { WorkerCredentialFormat.authorization(id: id, secret: secret) }
}
