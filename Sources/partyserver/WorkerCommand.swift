import ArgumentParser
import Foundation
import Logging
import PartyServer

/// `partyserver worker create|list|revoke`: credentials for back-end workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Create, list and revoke worker credentials (stored, hashed, in the data directory or a cluster's database).",
        discussion: """
            Workers authenticate with `Authorization: PartyWorker ID:SECRET` (PartyClient's \
            startWorker reads PARTYSERVER_WORKER_ID and PARTYSERVER_WORKER_SECRET). Rooms see them as \
            connection.user with the worker's id, name and the `worker` role.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// Where the accounts are, shared by the subcommands: the data directory, or the cluster's database.
    struct DataDirectory: ParsableArguments {
        @Option(help: ArgumentHelp("Data directory of the server (the one `serve` uses).", valueName: "path"))
        var dataDir = ".partyserver"

        @Option(help: ArgumentHelp("The PostgreSQL database of a cluster (as given to `serve --database-url`; default PARTYSERVER_DATABASE_URL), instead of the data directory.", valueName: "url"))
        var databaseURL: String?

        /// The database URL: the option, else a non-empty `PARTYSERVER_DATABASE_URL`.
        var url: String? {
            if let databaseURL { return databaseURL }
            let value = ProcessInfo.processInfo.environment["PARTYSERVER_DATABASE_URL"] ?? ""
            return value.isEmpty ? nil : value
        }

        /// Where the accounts are, for messages.
        var place: String { url.map { (try? PostgresURL($0).description) ?? "the database" } ?? dataDir.debugDescription }

        /// Opens the worker accounts, with errors that name where they are.
        func open() async throws -> WorkerAccounts {
            var logger = Logger(label: "partyserver.workers")
            logger.logLevel = .warning
            do {
                if let url { return try await WorkerAccounts.open(databaseURL: url, logger: logger) }
                return try WorkerAccounts(dataDirectory: dataDir, logger: logger)
            } catch {
                throw ValidationError("cannot open the worker accounts in \(place): \(error)")
            }
        }
    }

    /// `worker create --name NAME`: prints the new credentials as environment lines.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a worker and print PARTYSERVER_WORKER_ID=… and PARTYSERVER_WORKER_SECRET=….")

        @Option(help: "A name for the worker (1 to 100 characters).")
        var name: String

        @OptionGroup var directory: DataDirectory

        func run() async throws {
            let accounts = try await directory.open()
            let result: Result<WorkerCredentials, WorkerAccountError>
            do {
                result = .success(try await accounts.create(name: name))
            } catch {
                result = .failure(error)
            }
            await accounts.close()
            print(try result.get().environmentLines)
        }
    }

    /// `worker list`: one line per account.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workers: id, name, created, revoked.")

        @OptionGroup var directory: DataDirectory

        func run() async throws {
            let accounts = try await directory.open()
            let list = try await accounts.list()
            await accounts.close()
            let format = ISO8601DateFormatter()
            for account in list {
                print([account.id, account.name, format.string(from: account.createdAt), account.revokedAt.map { "revoked " + format.string(from: $0) } ?? "active"].joined(separator: "\t"))
            }
        }
    }

    /// `worker revoke ID`: later connections and requests with it get 401.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a worker: its credentials are refused from now on.")

        @Argument(help: "The worker id (wk_…).")
        var id: String

        @OptionGroup var directory: DataDirectory

        func run() async throws {
            let accounts = try await directory.open()
            let revoked = try await accounts.revoke(id: id)
            await accounts.close()
            guard revoked else {
                throw ValidationError("no active worker \(id.debugDescription) in \(directory.place); see `partyserver worker list`")
            }
            print("revoked \(id)")
        }
    }
}
