import Foundation
import Logging
@testable import PartyRuntime
import PartyServer
import Synchronization
import Testing

/// A storage engine on a fresh data directory inside a fresh parent directory; both are removed
/// by ``remove()``. The parent lets tests check that nothing was written outside the data directory.
struct StorageFixture: Sendable {
    /// The throw-away parent directory.
    let parent: String
    /// The engine's data directory, inside `parent`.
    let directory: String

    /// A logger that drops everything (failures the tests provoke are logged as errors).
    static let logger = Logger(label: "storage-test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() {
        parent = FileManager.default.temporaryDirectory
            .appendingPathComponent("partyserver-storage-\(UUID().uuidString)").path
        directory = parent + "/data"
    }

    /// Opens an engine on the data directory.
    func open(
        _ configuration: StorageConfiguration = .init(),
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)? = nil
    ) throws -> StorageEngine {
        try StorageEngine(directory: directory, configuration: configuration, logger: Self.logger, onCommit: onCommit)
    }

    /// Deletes the parent directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: parent)
    }

    /// Runs `body` with an open engine, then closes the engine and removes the directories.
    static func withEngine<T>(
        _ configuration: StorageConfiguration = .init(),
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)? = nil,
        _ body: (StorageEngine, StorageFixture) async throws -> T
    ) async throws -> T {
        let fixture = StorageFixture()
        defer { fixture.remove() }
        let engine = try fixture.open(configuration, onCommit: onCommit)
        do {
            let result = try await body(engine, fixture)
            await engine.close()
            return result
        } catch {
            await engine.close()
            throw error
        }
    }
}

/// Counts the transactions and submissions an engine's `onCommit` reports.
final class CommitCounter: Sendable {
    private let counts = Mutex((transactions: 0, submissions: 0))

    var transactions: Int { counts.withLock { $0.transactions } }
    var submissions: Int { counts.withLock { $0.submissions } }

    /// The observer to pass as `onCommit`.
    var observer: @Sendable (Int, Duration) -> Void {
        { submissions, _ in self.counts.withLock { $0.transactions += 1; $0.submissions += submissions } }
    }
}

extension StorageEngine {
    /// A room's storage with a fresh output gate.
    func room(_ name: String, server: String = "main") -> RoomStorage {
        storage(server: server, room: name, gate: OutputGate())
    }
}

/// Expects `body` to throw exactly `expected`.
func expectStorageError<T>(
    _ expected: StorageError,
    _ body: () async throws(StorageError) -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        _ = try await body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
    }
}
