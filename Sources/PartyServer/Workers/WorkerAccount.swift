import Foundation

/// A worker account as stored (never with its secret).
public struct WorkerAccount: Sendable, Equatable, Codable {
    /// The account id.
    public var id: String
    /// The name given at creation.
    public var name: String
    /// When it was created.
    public var createdAt: Date
    /// When it was revoked, if it was.
    public var revokedAt: Date?

    /// The user a room sees for this worker: its id, name and the `worker` role.
    public var user: User {
        User(id: id, name: name, roles: ["worker"], claims: ["kind": "worker"])
    }
}
