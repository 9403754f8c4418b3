import CoreMetrics
import Foundation
import Logging
import Synchronization

/// The lifecycle of one room: at most one actor, started exactly once per activation, released
/// after an idle period (hibernated with its snapshot, or evicted), and started again by the
/// next event. Every event holds the instance between `acquire()` and `release()`; events that
/// arrive while the room starts or hibernates wait for that and then go on in order.
package final class RoomSlot: Sendable {
    /// The room handle given to the instance; it outlives the instances.
    package let room: Room
    /// The room's server type.
    package let registration: ServerRegistration
    let metrics: ServerMetrics
    /// Messages received for this room's connections (cached from the application's metrics).
    let messagesIn: CoreMetrics.Counter
    /// The server type's auto-response, if any.
    let autoResponse: AutoResponse?
    let clock: any PartyClock
    /// Whether events wait for the input gate (`ServerOptions.inputGate`).
    let gated: Bool
    let idleAfter: TimeInterval
    /// The slot's state (internal for the extensions in `RoomSlot+Start.swift` and `RoomSlot+Termination.swift`).
    let state: Mutex<SlotState>

    struct SlotState {
        var phase: Phase = .idle
        var generation: UInt64 = 0
        /// Events holding the instance (between `acquire` and `release`).
        var inFlight = 0
        /// Connections, requests and alarm runs that checked the slot out of the registry.
        var users = 0
        var lastActivity = Date.distantPast
        var idleTimerArmed = false
        /// Whether the actor was released by hibernation (rather than never started or evicted).
        var hibernated = false
        /// The activation the room runs (`RoomDirectory`); nil until the next start begins one.
        var activation: UInt64?
        /// Whether the activation was spawned through the control API: the room then stays in
        /// memory (never evicted or removed from the registry) until the activation terminates.
        var pinned = false
        /// Set while the activation terminates: how connections are closed.
        var termination: Termination?
        /// Tasks inside `acquire` waiting for a start or a stop to finish.
        var waiting = 0
        /// A termination waiting until nothing holds or waits for the room and it has no connections.
        var drained: CheckedContinuation<Void, Never>?
        /// One event at a time (unless the type opts out); waiters are resumed with the epoch of
        /// the gate they were handed, or nil to try again.
        var gate = InputGate<CheckedContinuation<UInt64?, Never>>()
    }

    enum Phase {
        case idle
        case starting(generation: UInt64, Task<any Server, any Error>)
        case live(any Server)
        case stopping(Task<Void, Never>)
    }

    package init(room: Room, registration: ServerRegistration) {
        self.room = room
        self.registration = registration
        self.metrics = room.services.metrics.server(registration.routeName)
        self.messagesIn = room.services.metrics.messagesIn
        self.autoResponse = registration.options.autoResponse
        self.clock = room.services.clock
        self.gated = registration.options.inputGate
        let after = registration.options.hibernateAfter.components
        self.idleAfter = Double(after.seconds) + Double(after.attoseconds) / 1e18
        self.state = Mutex(SlotState())
        room.storage.buffer.onFailure { [weak self] error in self?.writeFailed(error) }
    }

    /// The live instance, if any, without starting it or holding it.
    package var liveInstance: (any Server)? {
        state.withLock { state in
            if case .live(let instance) = state.phase { return instance }
            return nil
        }
    }

    /// The room's lifecycle state.
    package var lifecycleState: RoomState {
        state.withLock { state in
            switch state.phase {
            case .idle: state.hibernated ? .hibernated : .idle
            case .starting: .starting
            case .live: .live
            case .stopping: .stopping
            }
        }
    }

    /// Whether the room hibernated and has not woken since.
    package var isHibernated: Bool { state.withLock { $0.hibernated } }

    // MARK: Idle

    /// The idle timer fired: hibernates or evicts the room if it has been idle long enough,
    /// otherwise re-arms the timer for the rest of the idle period.
    package func idleTimerFired() async {
        let now = room.services.clock.now
        let decision = state.withLock { state -> IdleDecision in
            state.idleTimerArmed = false
            guard case .live(let instance) = state.phase, state.inFlight == 0, !state.gate.isHeld, state.termination == nil else { return .nothing }
            let due = state.lastActivity.addingTimeInterval(idleAfter)
            if now < due {
                state.idleTimerArmed = true
                return .rearm(due)
            }
            let hibernate = registration.options.hibernate
            guard hibernate || (room.connectionCount == 0 && !state.pinned) else { return .nothing }
            let task = Task { await self.stop(instance, hibernate: hibernate) }
            state.phase = .stopping(task)
            return .stopping(task)
        }
        switch decision {
        case .nothing: break
        case .rearm(let due): room.services.idleTimers.schedule(room.key, at: due)
        case .stopping(let task): await task.value
        }
    }

    private enum IdleDecision {
        case nothing
        case rearm(Date)
        case stopping(Task<Void, Never>)
    }

    /// Hibernates the room now if it is live and no event holds it (graceful shutdown, tests).
    /// Returns whether it hibernated.
    @discardableResult
    package func hibernateNow() async -> Bool {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard case .live(let instance) = state.phase, state.inFlight == 0, !state.gate.isHeld, state.termination == nil else { return nil }
            let task = Task { await self.stop(instance, hibernate: true) }
            state.phase = .stopping(task)
            return task
        }
        guard let task else { return false }
        await task.value
        return state.withLock { $0.hibernated }
    }

    /// Waits for the room's writes, snapshots (when hibernating a `Snapshotting` server) and
    /// releases the instance. A failed snapshot keeps the room live, so no state is lost; the
    /// next idle period tries again.
    private func stop(_ instance: any Server, hibernate: Bool) async {
        // Writes of the last events first: a failed one resets the room instead (no snapshot of
        // state that was not stored).
        if await room.storage.buffer.flush() != nil {
            discardAfterFailedWrite()
            return
        }
        if hibernate, let snapshotting = instance as? any Snapshotting {
            do {
                let data = try await snapshotting.encodedSnapshot()
                try await room.services.engine.saveSnapshot(server: room.server, room: room.name, data: data)
            } catch {
                room.logger.error("snapshot failed; the room stays live and tries again after the next idle period", metadata: ["error": "\(error)"])
                let now = room.services.clock.now
                let deadline = state.withLock { state -> Date? in
                    state.phase = .live(instance)
                    state.lastActivity = now
                    guard !state.idleTimerArmed else { return nil }
                    state.idleTimerArmed = true
                    return now.addingTimeInterval(idleAfter)
                }
                if let deadline { room.services.idleTimers.schedule(room.key, at: deadline) }
                return
            }
        }
        let directory = room.services.directory
        state.withLock { state in
            state.phase = .idle
            state.hibernated = hibernate
            guard let activation = state.activation else { return }
            if hibernate {
                directory.setHibernated(room.key, activation: activation, true)
            } else {
                // Eviction ends the activation.
                state.activation = nil
                state.pinned = false
                directory.end(room.key, activation: activation, reason: .swept)
            }
        }
        room.services.admission.roomStopped()
        metrics.roomsLive.decrement()
        if hibernate {
            metrics.hibernations.increment()
            metrics.roomsHibernated.increment()
            room.logger.debug("room hibernated", metadata: ["connections": "\(room.connectionCount)"])
        } else {
            metrics.evictions.increment()
            room.logger.debug("room evicted")
        }
    }

    // MARK: Registry bookkeeping

    /// One more connection, request or alarm run uses the slot (called under the registry's lock).
    func addUser() {
        state.withLock { $0.users += 1 }
    }

    /// One user is done; returns whether the slot may now be removed from the registry.
    func removeUser() -> Bool {
        state.withLock { state in
            state.users -= 1
            return state.users == 0 && !state.pinned && Self.isIdle(state)
        }
    }

    /// Whether nothing uses the slot and no actor is live (called under the registry's lock).
    var isUnused: Bool {
        state.withLock { $0.users == 0 && !$0.pinned && Self.isIdle($0) }
    }

    private static func isIdle(_ state: SlotState) -> Bool {
        if case .idle = state.phase { return state.inFlight == 0 }
        return false
    }

    /// The slot leaves the registry (called under the registry's lock, once `isUnused`); a room
    /// that hibernated without connections ends its activation here (`swept`).
    func retire() {
        let directory = room.services.directory
        let hibernated = state.withLock { state -> Bool in
            defer { state.hibernated = false }
            if let activation = state.activation {
                state.activation = nil
                directory.end(room.key, activation: activation, reason: .swept)
            }
            return state.hibernated
        }
        if hibernated { metrics.roomsHibernated.decrement() }
    }
}
