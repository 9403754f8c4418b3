/// Where a room is in its lifecycle, as reported by `PartyApplication.roomState(server:name:)`.
public enum RoomState: String, Sendable, Equatable {
    /// Not in memory: never started, evicted, or hibernated without connections.
    case absent
    /// Registered but without an actor (a request is about to start it, or it was evicted while in use).
    case idle
    /// Its actor is being created (`init`, snapshot restore, `onStart`).
    case starting
    /// Its actor is live.
    case live
    /// Being hibernated or evicted.
    case stopping
    /// Hibernated: no actor, connections open.
    case hibernated
}
