import Foundation
import PostgresNIO

/// A PostgreSQL connection URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`.
///
/// `sslmode` is `disable` (the default), `prefer` or `require`; `?host=/path/to/dir` connects
/// over the Unix socket in that directory instead of TCP.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The user name.
    public var user: String
    /// The password, if any.
    public var password: String?
    /// The host name or address (TCP).
    public var host: String
    /// The TCP port. Default 5432.
    public var port: Int
    /// The database name.
    public var database: String
    /// The directory of the server's Unix socket, when connecting over it.
    public var socketDirectory: String?
    /// Whether TLS is used: `disable`, `prefer` or `require`.
    public var sslMode: String

    /// Parses `text`; throws ``ClusterError/invalidDatabaseURL(_:)`` saying what is wrong.
    public init(_ text: String) throws(ClusterError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else {
            throw .invalidDatabaseURL("\(Self.redacted(text)) is not a postgres:// URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalidDatabaseURL("\(Self.redacted(text)) names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw .invalidDatabaseURL("\(Self.redacted(text)) names no database (postgres://USER@HOST/DATABASE)")
        }
        let items = components.queryItems ?? []
        let sslMode = items.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw .invalidDatabaseURL("sslmode \(sslMode) is not supported: use disable, prefer or require")
        }
        self.user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.host = components.host ?? "127.0.0.1"
        self.port = components.port ?? 5432
        self.database = database
        self.socketDirectory = items.first { $0.name == "host" }?.value
        self.sslMode = sslMode
    }

    /// The URL without its password.
    public var description: String {
        let target = socketDirectory.map { "?host=\($0)" } ?? ""
        return "postgres://\(user)@\(host):\(port)/\(database)\(target)"
    }

    /// The same server with another database.
    public func with(database: String) -> PostgresURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The client configuration for this URL.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch sslMode {
            case "require": .require(.makeClientConfiguration())
            case "prefer": .prefer(.makeClientConfiguration())
            default: .disable
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 16
        return configuration
    }

    private static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text.debugDescription }
        components.password = "***"
        return (components.string ?? "").debugDescription
    }
}
