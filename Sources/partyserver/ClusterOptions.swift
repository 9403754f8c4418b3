import ArgumentParser
import Foundation
import PartyServer

/// `serve` options for several nodes on one PostgreSQL database.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]); keeps rooms, alarms, workers and control records there and makes this process a node of a cluster. Default: PARTYSERVER_DATABASE_URL, else the data directory's SQLite file.",
        valueName: "url"
    ))
    var databaseURL: String?

    @Option(help: ArgumentHelp("This node's id, unique among the nodes (with --database-url). Default: the host name and a random suffix.", valueName: "id"))
    var nodeID: String?

    @Option(help: ArgumentHelp("Where the other nodes reach this one, HOST:PORT (with --database-url). Default: 127.0.0.1 and the bound port.", valueName: "address"))
    var advertise: String?

    @Option(help: ArgumentHelp("Seconds a room lease lasts without renewal; a dead node's rooms move within two lease times (with --database-url).", valueName: "seconds"))
    var leaseSeconds: Double = 10

    /// The database URL: the option, else a non-empty `PARTYSERVER_DATABASE_URL`.
    func url(environment: [String: String]) -> String? {
        if let databaseURL { return databaseURL }
        guard let value = environment["PARTYSERVER_DATABASE_URL"], !value.isEmpty else { return nil }
        return value
    }

    /// Rejects values the cluster cannot use, naming the option.
    func validate() throws {
        guard leaseSeconds >= 1, leaseSeconds <= 3600 else {
            throw ValidationError("--lease-seconds must be between 1 and 3600, got \(leaseSeconds)")
        }
        if let nodeID, nodeID.isEmpty || nodeID.count > 128 || nodeID.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ValidationError("--node-id must be 1 to 128 characters without spaces, got \(nodeID.debugDescription)")
        }
        if let advertise {
            guard let colon = advertise.lastIndex(of: ":"), let port = Int(advertise[advertise.index(after: colon)...]),
                  (1...65535).contains(port), colon != advertise.startIndex
            else {
                throw ValidationError("--advertise must be HOST:PORT, got \(advertise.debugDescription)")
            }
        }
        if let url = url(environment: ProcessInfo.processInfo.environment) {
            do {
                _ = try PostgresURL(url)
            } catch {
                throw ValidationError("--database-url: \(error)")
            }
        } else if nodeID != nil || advertise != nil {
            throw ValidationError("--node-id and --advertise need --database-url")
        }
    }

    /// The cluster configuration, or `nil` without a database URL.
    func configuration(environment: [String: String]) throws -> ClusterConfiguration? {
        guard let url = url(environment: environment) else { return nil }
        return ClusterConfiguration(
            databaseURL: try PostgresURL(url), nodeID: nodeID, advertise: advertise,
            leaseDuration: .milliseconds(Int64((leaseSeconds * 1000).rounded()))
        )
    }
}
