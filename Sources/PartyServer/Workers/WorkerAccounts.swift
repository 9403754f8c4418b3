import Crypto
import Foundation
import Logging
import PartyCluster

/// The worker accounts of a data directory: create, list, revoke, and check credentials.
///
/// Accounts live in the same SQLite database as the rooms, so `partyserver worker create` and a
/// running `partyserver serve` share them (a revocation applies to the next connection or
/// request). Only a SHA-256 hash of each secret is stored: secrets are 256 random bits, so a
/// fast hash is enough and a stolen database does not reveal them.
public final class WorkerAccounts: Sendable {
    let engine: StorageEngine
    private let ownsEngine: Bool
    /// Runs after the engine closed (closes the database the accounts opened).
    private let closing: (@Sendable () async -> Void)?

    /// Opens the worker accounts of `dataDirectory` (created if missing).
    public convenience init(dataDirectory: String, logger: Logger = Logger(label: "partyserver.workers")) throws(StorageError) {
        self.init(engine: try StorageEngine(directory: dataDirectory, logger: logger), ownsEngine: true)
    }

    package init(engine: StorageEngine, ownsEngine: Bool = false, closing: (@Sendable () async -> Void)? = nil) {
        self.engine = engine
        self.ownsEngine = ownsEngine
        self.closing = closing
    }

    /// Opens the worker accounts of a cluster's PostgreSQL database (`postgres://…`, as given to
    /// `--database-url`), creating the schema if needed.
    public static func open(databaseURL: String, logger: Logger = Logger(label: "partyserver.workers")) async throws -> WorkerAccounts {
        let database = try await ClusterDatabase.open(try PostgresURL(databaseURL), logger: logger)
        let engine = StorageEngine(backend: PostgresStorageBackend(database: database), logger: logger)
        return WorkerAccounts(engine: engine, ownsEngine: true, closing: { await database.close() })
    }

    /// Closes the database if this object opened it.
    public func close() async {
        guard ownsEngine else { return }
        await engine.close()
        await closing?()
    }

    /// Creates an account named `name` (1–100 characters, no control characters) and returns its
    /// credentials; the secret is not stored and cannot be shown again.
    public func create(name: String) async throws(WorkerAccountError) -> WorkerCredentials {
        guard (1...100).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidName(name)
        }
        let credentials = WorkerCredentials(id: "wk_" + Self.randomHex(bytes: 12), secret: Self.randomHex(bytes: 32))
        let hash = Self.hash(credentials.secret)
        let created = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        do {
            try engine.checkOpen()
            try await engine.backend.insertWorker(WorkerRow(id: credentials.id, name: name, secretHash: hash, createdMilliseconds: created, revokedMilliseconds: nil))
        } catch {
            throw .storage(error)
        }
        return credentials
    }

    /// Revokes account `id`; returns `false` if there is no such account (or it was already revoked).
    @discardableResult
    public func revoke(id: String) async throws(WorkerAccountError) -> Bool {
        let revoked = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        do {
            try engine.checkOpen()
            return try await engine.backend.revokeWorker(id: id, atMilliseconds: revoked)
        } catch {
            throw .storage(error)
        }
    }

    /// Every account, oldest first.
    public func list() async throws(WorkerAccountError) -> [WorkerAccount] {
        do {
            try engine.checkOpen()
            return try await engine.backend.workers().map(Self.account)
        } catch {
            throw .storage(error)
        }
    }

    /// The account the credentials belong to, or `nil` when the id is unknown, the secret wrong,
    /// or the account revoked.
    public func authenticate(_ credentials: WorkerCredentials) async throws(WorkerAccountError) -> WorkerAccount? {
        guard credentials.id.hasPrefix("wk_"), credentials.id.count <= 64, credentials.secret.count <= 256 else { return nil }
        let id = credentials.id
        let found: WorkerRow?
        do {
            try engine.checkOpen()
            found = try await engine.backend.worker(id: id)
        } catch {
            throw .storage(error)
        }
        guard let found, ConstantTime.equal(found.secretHash, Self.hash(credentials.secret)) else { return nil }
        return found.revokedMilliseconds == nil ? Self.account(found) : nil
    }

    // MARK: Helpers

    private static func account(_ row: WorkerRow) -> WorkerAccount {
        WorkerAccount(
            id: row.id,
            name: row.name,
            createdAt: Date(timeIntervalSince1970: Double(row.createdMilliseconds) / 1000),
            revokedAt: row.revokedMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        )
    }

    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    private static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Why a worker-account operation failed.
public enum WorkerAccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is empty, over 100 characters, or contains control characters.
    case invalidName(String)
    /// The database failed.
    case storage(StorageError)

    /// What happened and what to do.
    public var description: String {
        switch self {
        case .invalidName(let name): "worker name \(name.debugDescription) is invalid: use 1 to 100 characters without control characters"
        case .storage(let error): "\(error)"
        }
    }
}
