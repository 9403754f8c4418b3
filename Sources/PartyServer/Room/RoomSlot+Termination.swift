import CoreMetrics
import Foundation
import Synchronization

extension RoomSlot {
    /// How a terminating activation closes its connections.
    struct Termination {
        var code: Int
        var reason: String
    }

    /// The activation the room runs, if any.
    package var activation: UInt64? { state.withLock { $0.activation } }

    /// When the room last finished an event.
    package var lastActivity: Date { state.withLock { $0.lastActivity } }

    /// The close code and reason for a connection that registered while the room terminates.
    var terminationClose: (code: Int, reason: String)? {
        state.withLock { state in state.termination.map { ($0.code, $0.reason) } }
    }

    /// Ends the running activation (`expected`, or whichever runs when nil) with `reason`.
    ///
    /// Soft: every connection is closed with `closeCode` and `closeReason` and its `onClose` runs
    /// (waking a hibernated room), hooks in flight finish, then a `Snapshotting` room's final
    /// snapshot is written and the instance released. Hard: the instance is released at once,
    /// connections are dropped without a closing handshake or `onClose`, and no snapshot is
    /// written (hooks already running finish on the released instance). Returns false when no
    /// such activation runs here.
    package func terminate(activation expected: UInt64?, reason: TerminationReason, hard: Bool, closeCode: Int, closeReason: String) async -> Bool {
        let termination = Termination(code: closeCode, reason: closeReason)
        return hard
            ? await terminateHard(expected, reason: reason, termination: termination)
            : await terminateSoft(expected, reason: reason, termination: termination)
    }

    private enum SoftStep {
        case ended
        case wait(Task<Void, Never>)
        case drain
        case finish(Task<Void, Never>)
    }

    private func terminateSoft(_ expected: UInt64?, reason: TerminationReason, termination: Termination) async -> Bool {
        let directory = room.services.directory
        let begun = state.withLock { state -> UInt64? in
            guard let activation = state.activation, expected == nil || expected == activation, state.termination == nil else { return nil }
            state.termination = termination
            directory.advance(room.key, activation: activation, to: .terminating)
            return activation
        }
        guard let activation = begun else { return false }
        room.logger.info("terminating room", metadata: ["reason": "\(reason.rawValue)", "connections": "\(room.connectionCount)"])
        // Hooks that do not finish within the grace period do not hold the room: it then stops at once.
        let grace = directory.configuration.terminationGrace
        let deadline = clock.now.addingTimeInterval(grace.timeInterval)
        let watchdog = Task { [clock] in
            guard (try? await clock.sleep(until: deadline)) != nil else { return }
            self.room.logger.warning("hooks did not finish within the termination grace period; stopping the room at once", metadata: ["grace": "\(grace)"])
            _ = await self.terminateHard(activation, reason: reason, termination: termination)
        }
        defer { watchdog.cancel() }
        while true {
            for connection in room.connections() {
                connection.close(code: termination.code, reason: termination.reason)
            }
            let step = state.withLock { state -> SoftStep in
                guard state.activation == activation else {
                    // It ended meanwhile (its start failed, or a hard termination took over).
                    state.termination = nil
                    return .ended
                }
                if case .stopping(let task) = state.phase { return .wait(task) }
                guard state.inFlight == 0, state.waiting == 0, room.connectionCount == 0 else { return .drain }
                let instance: (any Server)?
                if case .live(let live) = state.phase { instance = live } else { instance = nil }
                let task = Task { await self.finishTermination(activation, instance: instance, reason: reason) }
                state.phase = .stopping(task)
                return .finish(task)
            }
            switch step {
            case .ended:
                return true
            case .wait(let task):
                await task.value
            case .drain:
                await waitUntilDrained()
            case .finish(let task):
                await task.value
                return true
            }
        }
    }

    /// An acquire that waited for a start gives up (the start failed).
    func leaveWaiting() {
        let drained = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.waiting -= 1
            return state.termination == nil ? nil : state.takeDrained(connections: room.connectionCount)
        }
        drained?.resume()
    }

    /// Waits until nothing holds or waits for the room and it has no connections.
    private func waitUntilDrained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.inFlight == 0, state.waiting == 0, room.connectionCount == 0 { return true }
                state.drained = continuation
                return false
            }
            if now { continuation.resume() }
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
        let directory = room.services.directory
        let wasHibernated = state.withLock { state -> Bool in
            state.phase = .idle
            defer { state.hibernated = false }
            state.activation = nil
            state.pinned = false
            state.termination = nil
            directory.advance(room.key, activation: activation, to: .terminated, reason: reason)
            return state.hibernated
        }
        if instance != nil {
            room.services.admission.roomStopped()
            metrics.roomsLive.decrement()
        }
        if wasHibernated { metrics.roomsHibernated.decrement() }
        room.logger.info("room terminated", metadata: ["reason": "\(reason.rawValue)"])
    }

    private enum HardStep {
        case none
        case wait(Task<Void, Never>)
        case stopped(wasLive: Bool, wasHibernated: Bool, drained: CheckedContinuation<Void, Never>?, gateWaiters: [CheckedContinuation<UInt64?, Never>])
    }

    private func terminateHard(_ expected: UInt64?, reason: TerminationReason, termination: Termination) async -> Bool {
        let directory = room.services.directory
        while true {
            let step = state.withLock { state -> HardStep in
                guard let activation = state.activation, expected == nil || expected == activation else { return .none }
                if case .stopping(let task) = state.phase { return .wait(task) }
                var wasLive = false
                if case .live = state.phase { wasLive = true }
                let wasHibernated = state.hibernated
                // A start in progress finds another phase when it completes and discards its instance.
                state.phase = .idle
                state.hibernated = false
                state.activation = nil
                state.pinned = false
                // Connections registering until every connection is dropped are closed too.
                state.termination = termination
                directory.end(room.key, activation: activation, reason: reason)
                // Hooks still running on the released instance no longer hold back the room's events.
                let gateWaiters = resetGate(&state)
                return .stopped(wasLive: wasLive, wasHibernated: wasHibernated, drained: state.drained.take(), gateWaiters: gateWaiters)
            }
            switch step {
            case .none:
                return false
            case .wait(let task):
                await task.value
            case .stopped(let wasLive, let wasHibernated, let drained, let gateWaiters):
                for waiter in gateWaiters { waiter.resume(returning: nil) }
                let connections = room.registeredConnections
                for connection in connections {
                    connection.drop()
                }
                state.withLock { $0.termination = nil }
                drained?.resume()
                if wasLive {
                    room.services.admission.roomStopped()
                    metrics.roomsLive.decrement()
                }
                if wasHibernated { metrics.roomsHibernated.decrement() }
                room.logger.info("room stopped at once", metadata: ["reason": "\(reason.rawValue)", "dropped": "\(connections.count)"])
                return true
            }
        }
    }
}

extension RoomSlot.SlotState {
    /// The termination's waiter, once nothing holds or waits for the room and it has no connections.
    mutating func takeDrained(connections: Int) -> CheckedContinuation<Void, Never>? {
        guard inFlight == 0, waiting == 0, connections == 0 else { return nil }
        return drained.take()
    }
}

extension RoomSlot {
    /// Ends `activation` if it was spawned and this slot has not started it yet; atomic with the
    /// start, which adopts it under the same lock. Returns whether it ended it.
    func endUnstarted(_ activation: UInt64, reason: TerminationReason) -> Bool {
        let directory = room.services.directory
        return state.withLock { state in
            guard state.activation == nil else { return false }
            return directory.endScheduled(room.key, activation: activation, reason: reason)
        }
    }
}
