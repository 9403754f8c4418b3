import Foundation

/// A server whose in-memory state survives hibernation and graceful restarts.
///
/// When a room of a hibernating type goes idle, `snapshot()` is taken and written to the room's
/// storage before the actor is released; the next event creates a new instance, hands it the
/// snapshot with `restore(_:)`, then runs `onStart`. The last snapshot stays stored: after a crash,
/// state changed since it (and not written to `room.storage`) is lost.
public protocol Snapshotting: Server {
    /// The state handed over at hibernation and taken back at wake-up.
    associatedtype Snapshot: Codable & Sendable
    /// The state to keep while the room hibernates.
    func snapshot() async throws -> Snapshot
    /// Takes back the state saved by `snapshot()`; runs after `init(room:)`, before `onStart`.
    func restore(_ snapshot: Snapshot) async throws
}

extension Snapshotting {
    /// The snapshot encoded as JSON.
    func encodedSnapshot() async throws -> Data {
        try JSONEncoder().encode(try await snapshot())
    }

    /// Decodes a JSON snapshot and restores it.
    func restore(encoded data: Data) async throws {
        try await restore(JSONDecoder().decode(Snapshot.self, from: data))
    }
}
