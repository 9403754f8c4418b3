import PartyServer
import Synchronization

/// A hibernating room that holds a block of in-memory state and answers every text message at
/// once, to its sender only, with `MESSAGE|N` (N = the size of the state in bytes, so a client
/// can tell the state came back after a wake).
///
/// The state is an ASCII string of `StateRoom.stateBytes` bytes, built in `onStart` the first
/// time the room starts and otherwise restored from the snapshot (JSON: the string in quotes).
actor StateRoom: Server, Snapshotting {
    /// Size of a new room's state in bytes; set once at startup (`--state-bytes`).
    static let stateBytes = Atomic<Int>(65_536)

    /// The room this instance serves.
    let room: Room
    /// The state kept through hibernation.
    private var state = ""

    /// Creates an instance with empty state; `restore` or `onStart` fills it.
    init(room: Room) {
        self.room = room
    }

    /// Builds the state when no snapshot was restored.
    func onStart() async throws {
        if state.isEmpty {
            state = Self.makeState(bytes: Self.stateBytes.load(ordering: .relaxed), seed: room.name)
        }
    }

    /// The state, taken before the actor is released.
    func snapshot() async throws -> String {
        state
    }

    /// Takes back the state saved by `snapshot()`.
    func restore(_ snapshot: String) async throws {
        state = snapshot
    }

    /// Answers a text message with `MESSAGE|N`; ignores binary messages.
    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        connection.send(text: text + "|" + String(state.utf8.count))
    }

    /// `bytes` lowercase letters, different per room, that JSON encodes without escapes.
    static func makeState(bytes: Int, seed: String) -> String {
        var value = seed.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        var letters = [UInt8](repeating: 0, count: max(bytes, 0))
        for index in letters.indices {
            value ^= value << 13
            value ^= value >> 7
            value ^= value << 17
            letters[index] = UInt8(ascii: "a") + UInt8(value % 26)
        }
        return String(decoding: letters, as: UTF8.self)
    }
}
