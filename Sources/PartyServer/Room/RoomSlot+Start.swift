import CoreMetrics
import Foundation
import Synchronization

extension RoomSlot {
    /// Starts an instance: `loading` (snapshot), `starting` (`onStart`, within the startup
    /// timeout), `ready` when it begins `activation`; a wake-up within the activation records nothing.
    func start(generation: UInt64, activation: UInt64) async throws -> any Server {
        let directory = room.services.directory
        // A new instance: storage works again after a failed write reset the room. `onStart`'s
        // writes are committed together when it returns, like an event's.
        let buffer = room.storage.buffer
        buffer.reopen()
        buffer.beginEvent()
        defer { buffer.endEvent() }
        let instance = registration.make(room)
        let beginning = directory.advance(room.key, activation: activation, to: .loading)
        var restored = false
        do {
            if registration.snapshots, let snapshotting = instance as? any Snapshotting,
                let data = try await room.services.engine.loadSnapshot(server: room.server, room: room.name)
            {
                try await snapshotting.restore(encoded: data)
                restored = true
            }
            if beginning {
                directory.advance(room.key, activation: activation, to: .starting)
                try await StartupDeadline.run(clock: clock, timeout: directory.configuration.startupTimeout) {
                    try await instance.onStart()
                }
            } else {
                try await instance.onStart()
            }
        } catch {
            let timedOut = error is StartupDeadline.Exceeded
            room.logger.error("onStart failed; the activation ends and the next event starts a new one", metadata: ["error": "\(error)"])
            var drained: CheckedContinuation<Void, Never>?
            state.withLock { state in
                guard case .starting(let current, _) = state.phase, current == generation else { return }
                state.phase = .idle
                drained = state.drained.take()
                if let ended = state.activation {
                    state.activation = nil
                    state.pinned = false
                    directory.end(room.key, activation: ended, reason: timedOut ? .startuptimeout : .internalerror)
                }
            }
            drained?.resume()
            room.services.admission.endActivation(started: false)
            throw PartyError.startFailed(timedOut ? "onStart did not finish within \(directory.configuration.startupTimeout)" : "\(error)")
        }
        let installed = state.withLock { state -> Bool? in
            // A hard termination released the room while it started: discard the instance.
            guard case .starting(let current, _) = state.phase, current == generation else { return nil }
            state.phase = .live(instance)
            defer { state.hibernated = false }
            return state.hibernated
        }
        room.services.admission.endActivation(started: installed != nil)
        guard let wasHibernated = installed else { throw ActivationEnded() }
        if beginning {
            directory.advance(room.key, activation: activation, to: .ready)
        } else if wasHibernated {
            directory.setHibernated(room.key, activation: activation, false)
        }
        metrics.roomsLive.increment()
        if wasHibernated { metrics.roomsHibernated.decrement() }
        if wasHibernated || restored { metrics.wakes.increment() }
        room.logger.debug("room started", metadata: ["restored": "\(restored)"])
        return instance
    }
}
