import ArgumentParser
import Foundation
import Logging
import PartyServer

/// `partyserver worker create|list|revoke`: credentials for back-end workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Create, list and revoke worker credentials (stored, hashed, in the data directory).",
        discussion: """
            Workers authenticate with `Authorization: PartyWorker ID:SECRET` (PartyClient's \
            startWorker reads PARTYSERVER_WORKER_ID and PARTYSERVER_WORKER_SECRET). Rooms see them as \
            connection.user with the worker's id, name and the `worker` role.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// The data directory option shared by the subcommands.
    struct DataDirectory: ParsableArguments {
        @Option(help: ArgumentHelp("Data directory of the server (the one `serve` uses).", valueName: "path"))
        var dataDir = ".partyserver"

        /// Opens the worker accounts, with errors that name the directory.
        func open() throws -> WorkerAccounts {
            var logger = Logger(label: "partyserver.workers")
            logger.logLevel = .warning
            do {
                return try WorkerAccounts(dataDirectory: dataDir, logger: logger)
            } catch {
                throw ValidationError("cannot open the data directory \(dataDir.debugDescription): \(error)")
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
            let accounts = try directory.open()
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
            let accounts = try directory.open()
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
            let accounts = try directory.open()
            let revoked = try await accounts.revoke(id: id)
            await accounts.close()
            guard revoked else {
                throw ValidationError("no active worker \(id.debugDescription) in \(directory.dataDir.debugDescription); see `partyserver worker list`")
            }
            print("revoked \(id)")
        }
    }
}
