/// Where a room's instance is in this process, as reported by `PartyApplication.roomState(server:name:)`:
/// the phase of its `RoomLifecycle` (`live`, `starting`, `stopping`, no instance as `idle` or
/// `hibernated`, or `absent` from memory). Its activation's status, across instances and
/// hibernation, is a `RoomStatus` (the session control API's view).
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
