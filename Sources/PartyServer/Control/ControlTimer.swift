/// A limit timer of one spawned activation (`RoomDirectory.timers`).
package struct ControlTimer: Hashable, Sendable {
    /// Which limit.
    package enum Kind: Hashable, Sendable {
        /// `lifetime_limit_seconds`: terminate with `key_expired`.
        case lifetime
        /// `max_idle_seconds`: check for connections, terminate with `swept` once idle long enough.
        case idle
    }

    /// The room.
    package var room: RoomKey
    /// The activation the timer belongs to (a timer of an ended activation is ignored).
    package var activation: UInt64
    /// Which limit.
    package var kind: Kind
}
