import CoreMetrics
import Foundation
import Synchronization

extension RoomSlot {
    /// Starts an instance: `loading` (snapshot), `starting` (`onStart`, within the startup
    /// timeout), `ready` when it begins `activation`; a wake-up within the activation records
    /// nothing. The events waiting for the start are resumed: to look again once the instance is
    /// live, with the error if it failed.
    func start(generation: UInt64, activation: UInt64) async {
        let activations = room.services.activations
        // A new instance: storage works again after a failed write reset the room. `onStart`'s
        // writes are committed together when it returns, like an event's.
        let buffer = room.storage.buffer
        buffer.reopen()
        buffer.beginEvent()
        defer { buffer.endEvent() }
        let instance = registration.make(room)
        let beginning = activations.advance(room.key, activation: activation, to: .loading)
        var restored = false
        do {
            // Only the node holding the room's lease runs it (always this one without a cluster).
            switch await room.services.ownership.locate(room.key, placing: false) {
            case .local: break
            case .remote(let node, _): throw PartyError.startFailed("the room is owned by node \(node) and runs there")
            case .unavailable(let reason): throw PartyError.startFailed("the room's owner cannot be decided (\(reason))")
            }
            if registration.snapshots, let snapshotting = instance as? any Snapshotting,
                let data = try await room.services.engine.loadSnapshot(server: room.server, room: room.name)
            {
                try await snapshotting.restore(encoded: data)
                restored = true
            }
            if beginning {
                activations.advance(room.key, activation: activation, to: .starting)
                try await StartupDeadline.run(clock: clock, timeout: activations.startupTimeout) {
                    try await instance.onStart()
                }
            } else {
                try await instance.onStart()
            }
        } catch {
            let timedOut = error is StartupDeadline.Exceeded
            room.logger.error("onStart failed; the activation ends and the next event starts a new one", metadata: ["error": "\(error)"])
            let failure = PartyError.startFailed(timedOut ? "onStart did not finish within \(activations.startupTimeout)" : "\(error)")
            let failed = state.withLock { $0.startFailed(generation, error: failure) }
            if let ended = failed.endedActivation {
                activations.end(room.key, activation: ended, reason: timedOut ? .startupTimeout : .internalError)
            }
            room.services.admission.endActivation(started: false)
            resume(failed.waiters, .failed(failure))
            failed.drained?.resume(returning: .retry)
            return
        }
        let started = state.withLock { $0.startSucceeded(generation, instance) }
        room.services.admission.endActivation(started: started.installed)
        guard started.installed else {
            // A hard termination (or a failed write) released the room while it started: discard the instance.
            resume(started.waiters, .failed(ActivationEnded()))
            return
        }
        let wasHibernated = started.wasHibernated
        if beginning {
            activations.advance(room.key, activation: activation, to: .ready)
        } else if wasHibernated {
            activations.setHibernated(room.key, activation: activation, false)
        }
        metrics.roomsLive.increment()
        if wasHibernated { metrics.roomsHibernated.decrement() }
        if wasHibernated || restored { metrics.wakes.increment() }
        room.logger.debug("room started", metadata: ["restored": "\(restored)"])
        resume(started.waiters, .retry)
    }
}
