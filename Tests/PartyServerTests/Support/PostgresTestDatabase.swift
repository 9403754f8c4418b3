import Foundation
import Logging
@testable import PartyCluster
@testable import PartyRuntime
import PostgresNIO
import Testing

/// A fresh PostgreSQL database per test, on the server named by `PARTYSERVER_TEST_DATABASE_URL`
/// (`Scripts/test` starts one and sets it). Without that variable the PostgreSQL suites are
/// disabled, unless `PARTYSERVER_REQUIRE_POSTGRES=1` (set by `Scripts/test`), where they fail.
struct PostgresTestDatabase: Sendable {
    /// The server's URL, from the environment.
    static let serverURL = ProcessInfo.processInfo.environment["PARTYSERVER_TEST_DATABASE_URL"]
    /// Whether the suites must run (and fail without a server).
    static let required = ProcessInfo.processInfo.environment["PARTYSERVER_REQUIRE_POSTGRES"] == "1"
    /// Whether the PostgreSQL suites run.
    static let enabled = serverURL != nil || required

    static let logger = Logger(label: "postgres-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The test's database.
    let url: PostgresURL

    /// Creates a database of its own on the test server.
    static func create() async throws -> PostgresTestDatabase {
        guard let serverURL else {
            Issue.record("PARTYSERVER_TEST_DATABASE_URL is not set: run Scripts/test, which starts PostgreSQL")
            throw PostgresUnavailable()
        }
        let admin = try PostgresURL(serverURL)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let database = try await ClusterDatabase.open(admin, migrate: false, logger: logger)
        do {
            try await database.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        return PostgresTestDatabase(url: admin.with(database: name))
    }

    /// Opens (and migrates) the test's database.
    func open() async throws -> ClusterDatabase {
        try await ClusterDatabase.open(url, logger: Self.logger)
    }

    /// Drops the test's database (connections still open are ended).
    func drop() async {
        guard let serverURL = Self.serverURL, let admin = try? PostgresURL(serverURL),
              let database = try? await ClusterDatabase.open(admin, migrate: false, logger: Self.logger)
        else { return }
        _ = try? await database.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)"))
        await database.close()
    }

    /// Runs `body` with a fresh, migrated database, then drops it.
    static func with<T>(_ body: (ClusterDatabase, PostgresTestDatabase) async throws -> T) async throws -> T {
        let test = try await create()
        let database = try await test.open()
        do {
            let result = try await body(database, test)
            await database.close()
            await test.drop()
            return result
        } catch {
            await database.close()
            await test.drop()
            throw error
        }
    }
}

/// Thrown when the PostgreSQL suites must run and no server was given.
struct PostgresUnavailable: Error, CustomStringConvertible {
    var description: String { "no PostgreSQL server: set PARTYSERVER_TEST_DATABASE_URL or run Scripts/test" }
}
