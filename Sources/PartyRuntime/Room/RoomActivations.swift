/// Where a room's activations are recorded: begun (or adopted) when a room starts without one,
/// moved forward through their statuses, and ended. Rooms call these methods, never under their
/// own lock. The session control API's `RoomDirectory` implements it (statuses, keys, limits,
/// status streams, persisted across restarts); `LocalActivations` is the minimal one for rooms
/// driven in memory.
package protocol RoomActivations: Sendable {
    /// A room starts without an activation: adopts the one a spawn scheduled (or a restart
    /// restored) or begins a new one. With `expecting`, adopts only that activation (else nil).
    func beginActivation(_ key: RoomKey, expecting: UInt64?) -> AdoptedActivation?

    /// Records that `activation` of `key` reached `status` (only ever forward); returns whether
    /// it was recorded. The start of an activation is the one that records `loading`.
    @discardableResult
    func advance(_ key: RoomKey, activation: UInt64, to status: RoomStatus, reason: TerminationReason?) -> Bool

    /// Ends `activation`: `terminating` (`hard-terminating` when `hard`; neither after a failed
    /// start), then `terminated` with `reason`.
    func end(_ key: RoomKey, activation: UInt64, reason: TerminationReason, hard: Bool)

    /// Ends `activation` if no room runs it yet (spawned and still scheduled, or restored and not
    /// woken); returns whether it did.
    func endScheduled(_ key: RoomKey, activation: UInt64, reason: TerminationReason) -> Bool

    /// Records whether the room is hibernated (a flag on `ready`, no status of its own).
    func setHibernated(_ key: RoomKey, activation: UInt64, _ hibernated: Bool)

    /// The room's `env` (from its spawn; empty otherwise).
    func environment(_ key: RoomKey) -> [String: String]

    /// How long `onStart` may run when a room begins an activation.
    var startupTimeout: Duration { get }

    /// How long a soft termination waits for hooks before it finishes as a hard one.
    var terminationGrace: Duration { get }
}

extension RoomActivations {
    /// `advance(_:activation:to:reason:)` without a reason.
    @discardableResult
    package func advance(_ key: RoomKey, activation: UInt64, to status: RoomStatus) -> Bool {
        advance(key, activation: activation, to: status, reason: nil)
    }

    /// `end(_:activation:reason:hard:)` of a soft termination (or a failed start).
    package func end(_ key: RoomKey, activation: UInt64, reason: TerminationReason) {
        end(key, activation: activation, reason: reason, hard: false)
    }
}

/// An activation a room runs: its number, and whether it was spawned (which keeps the room in
/// memory until it terminates).
package struct AdoptedActivation: Sendable, Equatable {
    /// The activation's number.
    package var activation: UInt64
    /// Whether the room stays in memory until the activation terminates (spawned).
    package var pinned: Bool

    package init(activation: UInt64, pinned: Bool) {
        self.activation = activation
        self.pinned = pinned
    }
}
