import Foundation
import Synchronization

/// The connections of a room that dropped and may come back within the reconnection window,
/// by connection id. Each hold keeps the room in memory until it is taken back or expires.
package final class DroppedConnections: Sendable {
    /// One dropped connection.
    package struct Held: Sendable {
        /// The connection that dropped (closed; its state and tags are kept).
        package var connection: Connection
        /// How it ended.
        package var code: Int
        package var reason: String
        /// Which hold of this id it is, so a late timer leaves a newer one alone.
        package var generation: UInt64
        /// Gives back what keeps the room in memory.
        package var release: @Sendable () -> Void
    }

    private let held = Mutex<(byID: [String: Held], next: UInt64)>(([:], 0))

    package init() {}

    /// Holds `connection`; returns the hold's generation. A connection of the same id held
    /// already is replaced (and released).
    package func hold(_ connection: Connection, code: Int, reason: String, release: @escaping @Sendable () -> Void) -> UInt64 {
        let (generation, replaced) = held.withLock { state -> (UInt64, Held?) in
            state.next += 1
            let replaced = state.byID[connection.id]
            state.byID[connection.id] = Held(connection: connection, code: code, reason: reason, generation: state.next, release: release)
            return (state.next, replaced)
        }
        replaced?.release()
        return generation
    }

    /// Takes the held connection with `id` back (its client reconnected), if any.
    package func take(_ id: String) -> Held? {
        held.withLock { $0.byID.removeValue(forKey: id) }
    }

    /// Takes the held connection with `id` if it is still hold `generation` (its window passed).
    package func expire(_ id: String, generation: UInt64) -> Held? {
        held.withLock { state in
            guard state.byID[id]?.generation == generation else { return nil }
            return state.byID.removeValue(forKey: id)
        }
    }

    /// Number of connections held.
    package var count: Int { held.withLock { $0.byID.count } }
}

/// The reconnection window of one dropped connection, as a timer.
package struct DropTimer: Hashable, Sendable {
    /// The room.
    package var room: RoomKey
    /// The connection id.
    package var id: String
    /// The hold's generation.
    package var generation: UInt64

    package init(room: RoomKey, id: String, generation: UInt64) {
        self.room = room
        self.id = id
        self.generation = generation
    }
}
