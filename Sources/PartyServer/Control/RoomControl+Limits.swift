import Foundation

extension RoomControl {
    /// The close code for connections of a room that reached its lifetime limit.
    public static let lifetimeCloseCode = 4000

    /// A limit timer of a spawned activation fired: the lifetime limit terminates the room
    /// (connections closed with 4000 `key_expired`); the idle check terminates it (`swept`) once
    /// it has had no connection and no event for `maxIdle`, else checks again later. The
    /// termination runs on its own, so the timer loop never waits for a room's hooks.
    func timerFired(_ timer: ControlTimer) async {
        guard let registry = try? registry(), let registration = registry.registration(named: timer.room.server) else { return }
        guard let directory = try? directory() else { return }
        guard let active = directory.activeActivation(timer.room), active.activation == timer.activation, let spawn = active.spawn else { return }
        switch timer.kind {
        case .lifetime:
            Task {
                await self.terminate(
                    registration, timer.room, activation: timer.activation, reason: .keyExpired, hard: false,
                    code: Self.lifetimeCloseCode, text: TerminationReason.keyExpired.rawValue, in: registry
                )
            }
        case .idle:
            let now = directory.clock.now
            let slot = registry.existingSlot(timer.room)
            if let slot, slot.room.connectionCount > 0 {
                directory.timers.schedule(timer, at: now.addingTimeInterval(spawn.maxIdle.timeInterval))
                return
            }
            let idleSince = max(slot?.lastActivity ?? .distantPast, spawn.activeSince ?? spawn.spawnedAt)
            let due = idleSince.addingTimeInterval(spawn.maxIdle.timeInterval)
            guard now >= due else {
                directory.timers.schedule(timer, at: due)
                return
            }
            Task {
                await self.terminate(
                    registration, timer.room, activation: timer.activation, reason: .swept, hard: false,
                    code: CloseCode.goingAway, text: TerminationReason.swept.rawValue, in: registry
                )
            }
        }
    }
}
