import CoreMetrics
import Foundation
import Synchronization

extension RoomSlot {
    /// Ends the running activation (`expected`, or whichever runs when nil) with `reason`.
    ///
    /// Soft: every connection is closed with `closeCode` and `closeReason` and its `onClose` runs
    /// (waking a hibernated room), hooks in flight finish, then a `Snapshotting` room's final
    /// snapshot is written and the instance released. Hard: the instance is released at once,
    /// connections are dropped without a closing handshake or `onClose`, and no snapshot is
    /// written (hooks already running finish on the released instance). Returns false when no
    /// such activation runs here.
    package func terminate(activation expected: UInt64?, reason: TerminationReason, hard: Bool, closeCode: Int, closeReason: String) async -> Bool {
        let termination = Lifecycle.Termination(code: closeCode, reason: closeReason)
        return hard
            ? await terminateHard(expected, reason: reason, termination: termination)
            : await terminateSoft(expected, reason: reason, termination: termination)
    }

    private func terminateSoft(_ expected: UInt64?, reason: TerminationReason, termination: Lifecycle.Termination) async -> Bool {
        let activations = room.services.activations
        guard let activation = state.withLock({ $0.beginSoftTermination(expected: expected, termination) }) else { return false }
        activations.advance(room.key, activation: activation, to: .terminating)
        room.logger.info("terminating room", metadata: ["reason": "\(reason.rawValue)", "connections": "\(room.connectionCount)"])
        // Hooks that do not finish within the grace period do not hold the room: it then stops at once.
        let grace = activations.terminationGrace
        let deadline = clock.now.addingTimeInterval(grace.timeInterval)
        let watchdog = Task { [clock] in
            guard (try? await clock.sleep(until: deadline)) != nil else { return }
            self.room.logger.warning("hooks did not finish within the termination grace period; stopping the room at once", metadata: ["grace": "\(grace)"])
            _ = await self.terminateHard(activation, reason: reason, termination: termination)
        }
        defer { watchdog.cancel() }
        let room = self.room
        while true {
            for connection in room.connections() {
                connection.close(code: termination.code, reason: termination.reason)
            }
            switch state.withLock({ $0.softTerminationStep(activation, connections: { room.connectionCount }) }) {
            case .ended:
                return true
            case .waitForStop:
                _ = await park { state, waiter in state.parkUntilStopped(waiter) }
            case .drain:
                _ = await park { state, waiter in state.parkUntilDrained(waiter, connections: { room.connectionCount }) }
            case .finish(let instance):
                await finishTermination(activation, instance: instance, reason: reason)
                return true
            }
        }
    }

    /// Writes the final snapshot (for `Snapshotting` servers), releases the instance and records
    /// `terminated`.
    private func finishTermination(_ activation: UInt64, instance: (any Server)?, reason: TerminationReason) async {
        // A failed write discards the instance (the failure handler closed its connections): no snapshot then.
        let failed = await room.storage.buffer.flush() != nil
        if !failed, registration.snapshots, let snapshotting = instance as? any Snapshotting {
            do {
                let data = try await snapshotting.encodedSnapshot()
                try await room.services.engine.saveSnapshot(server: room.server, room: room.name, data: data)
            } catch {
                room.logger.error("final snapshot failed; state since the last snapshot is lost", metadata: ["error": "\(error)"])
            }
        }
        let finished = state.withLock { $0.terminationFinished() }
        room.services.activations.advance(room.key, activation: activation, to: .terminated, reason: reason)
        if instance != nil {
            room.services.admission.roomStopped()
            metrics.roomsLive.decrement()
        }
        if finished.wasHibernated { metrics.roomsHibernated.decrement() }
        room.logger.info("room terminated", metadata: ["reason": "\(reason.rawValue)"])
        resume(finished.waiters, .retry)
    }

    private func terminateHard(_ expected: UInt64?, reason: TerminationReason, termination: Lifecycle.Termination) async -> Bool {
        while true {
            switch state.withLock({ $0.terminateHard(expected: expected, termination) }) {
            case .none:
                return false
            case .waitForStop:
                _ = await park { state, waiter in state.parkUntilStopped(waiter) }
            case .stopped(let stop):
                room.services.activations.end(room.key, activation: stop.activation, reason: reason, hard: true)
                resume(stop.gateWaiters, .retry)
                let connections = room.registeredConnections
                for connection in connections {
                    connection.drop()
                }
                state.withLock { $0.hardTerminationDone() }
                stop.drained?.resume(returning: .retry)
                if stop.wasLive {
                    room.services.admission.roomStopped()
                    metrics.roomsLive.decrement()
                }
                if stop.wasHibernated { metrics.roomsHibernated.decrement() }
                room.logger.info("room stopped at once", metadata: ["reason": "\(reason.rawValue)", "dropped": "\(connections.count)"])
                return true
            }
        }
    }

    /// Ends `activation` if it was spawned and no slot started it yet (the directory decides, as
    /// a start adopts it there). Returns whether it ended it.
    package func endUnstarted(_ activation: UInt64, reason: TerminationReason) -> Bool {
        room.services.activations.endScheduled(room.key, activation: activation, reason: reason)
    }
}
