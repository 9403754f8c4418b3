/// Why the cluster layer could not do something; each description says what to do.
public enum ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database URL cannot be used.
    case invalidDatabaseURL(String)
    /// The database did not answer (the text says what failed).
    case databaseUnavailable(String)
    /// The schema could not be created or migrated.
    case migrationFailed(String)
    /// The database holds a schema newer than this build knows.
    case schemaTooNew(found: Int, known: Int)
    /// The node id is already used by another live node.
    case nodeIDInUse(String)

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch self {
        case .invalidDatabaseURL(let reason):
            "invalid database URL: \(reason)"
        case .databaseUnavailable(let reason):
            "PostgreSQL is unavailable: \(reason); check that the server runs and the URL's host, port, user and database are right"
        case .migrationFailed(let reason):
            "the database schema could not be migrated: \(reason); check the user's rights on the database"
        case .schemaTooNew(let found, let known):
            "the database schema is at version \(found) but this build knows only up to \(known); upgrade partyserver on this node"
        case .nodeIDInUse(let id):
            "node id \(id) is used by another live node; give each node its own --node-id"
        }
    }
}
