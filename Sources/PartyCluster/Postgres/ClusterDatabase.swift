import Logging
import PartyRuntime
import PostgresNIO

/// A connection pool to one PostgreSQL database, running for as long as the database is open.
///
/// ``open(_:logger:)`` starts the pool, waits until the server answers and migrates the schema
/// (``ClusterSchema``); ``close()`` stops the pool. Queries run on pooled connections (at most
/// 16 at once).
package final class ClusterDatabase: Sendable {
    /// Where the database is (its URL without the password).
    package let url: PostgresURL
    let client: PostgresClient
    let logger: Logger
    /// How long one statement or transaction may take before it counts as failed (the database
    /// is then treated as unreachable). Default 5 s.
    let operationLimit: Duration
    private let runner: Task<Void, Never>

    private init(url: PostgresURL, client: PostgresClient, runner: Task<Void, Never>, operationLimit: Duration, logger: Logger) {
        self.operationLimit = operationLimit
        self.url = url
        self.client = client
        self.runner = runner
        self.logger = logger
    }

    /// Connects to `url` (retrying for up to `connectTimeout`), then creates or migrates the
    /// schema. Throws ``ClusterError/databaseUnavailable(_:)`` when the server does not answer.
    package static func open(
        _ url: PostgresURL,
        connectTimeout: Duration = .seconds(15),
        operationLimit: Duration = .seconds(5),
        migrate: Bool = true,
        logger: Logger
    ) async throws(ClusterError) -> ClusterDatabase {
        var quiet = logger
        quiet.logLevel = .critical
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: quiet)
        // Detached: the pool must outlive a graceful shutdown of the service group the node runs
        // in (it stops when `close()` cancels it, after the node gave its leases back).
        let runner = Task.detached { await client.run() }
        let database = ClusterDatabase(url: url, client: client, runner: runner, operationLimit: operationLimit, logger: logger)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: connectTimeout)
        while true {
            do {
                try await client.query("SELECT 1")
                break
            } catch {
                guard clock.now < deadline, !Task.isCancelled else {
                    await database.close()
                    throw .databaseUnavailable("\(url) did not answer within \(connectTimeout): \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        if migrate {
            do {
                try await ClusterSchema.migrate(database)
            } catch {
                await database.close()
                throw error
            }
        }
        logger.info("PostgreSQL opened", metadata: ["database": "\(url)"])
        return database
    }

    /// Runs one statement, within ``operationLimit``; maps failures to ``StorageError``.
    @discardableResult
    func query(_ query: PostgresQuery) async throws(StorageError) -> [PostgresRow] {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await BoundedOperation.run(limit: operationLimit) { try await client.query(query, logger: logger).collect() }
        } catch {
            throw StorageError(postgres: error)
        }
    }

    /// Runs `body` on one pooled connection, within ``operationLimit``.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StorageError) -> T {
        let client = self.client
        do {
            return try await BoundedOperation.run(limit: operationLimit) {
                try await client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw StorageError(postgres: error)
        }
    }

    /// Stops the pool; running queries fail.
    package func close() async {
        runner.cancel()
        await runner.value
    }
}

extension StorageError {
    /// The storage error for an error thrown by PostgresNIO: a full disk (SQLSTATE 53100) is
    /// `.full`, a fencing refusal passes through, anything else `.ioFailed` with the details.
    init(postgres error: any Error) {
        if let error = error as? StorageError {
            self = error
            return
        }
        if let error = error as? BoundedOperation.TimedOut {
            self = .ioFailed("PostgreSQL: \(error)")
            return
        }
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            switch state {
            case "53100": self = .full
            default: self = .ioFailed("PostgreSQL error \(state): \(error.serverInfo?[.message] ?? "")")
            }
            return
        }
        self = .ioFailed("PostgreSQL: \(String(reflecting: error))")
    }
}
