import CoreMetrics
import Foundation
import Logging
import Synchronization

/// One room's life in the process: at most one actor, started exactly once per activation,
/// released after an idle period (hibernated with its snapshot, or evicted), and started again by
/// the next event. Every event holds the instance between `acquire()` and `release(_:)`; events
/// that arrive while the room starts or stops wait for that and then go on in order.
///
/// The decisions are `RoomLifecycle`'s, a value behind the slot's lock; the slot carries out what
/// it returns (tasks, waiters, the idle timer, the directory, the limit counters, metrics) after
/// unlocking, so no other lock is ever taken inside this one.
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
    /// The application's clock (held by the room's services, not copied into every slot).
    var clock: any PartyClock { room.services.clock }
    /// The room's lifecycle, and what parked events are resumed through.
    let state: Mutex<Lifecycle>

    typealias Lifecycle = RoomLifecycle<any Server, Waiter>
    typealias Waiter = CheckedContinuation<RoomWake, Never>

    package init(room: Room, registration: ServerRegistration) {
        self.room = room
        self.registration = registration
        self.metrics = room.services.metrics.server(registration.routeName)
        self.messagesIn = room.services.metrics.messagesIn
        self.autoResponse = registration.options.autoResponse
        let options = registration.options
        self.state = Mutex(Lifecycle(gated: options.inputGate, hibernates: options.hibernate, idleAfter: options.hibernateAfter.timeInterval))
        room.storage.buffer.onFailure { [weak self] error in self?.writeFailed(error) }
    }

    /// The live instance, if any, without starting it or holding it.
    package var liveInstance: (any Server)? { state.withLock { $0.instance } }

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

    /// The activation the room runs, if any.
    package var activation: UInt64? { state.withLock { $0.activation } }

    /// When the room last finished an event.
    package var lastActivity: Date { state.withLock { $0.lastActivity } }

    /// Events waiting for the room: for the input gate, or for a start or stop to finish.
    package var waitingEvents: Int { state.withLock { $0.waiting } }

    /// The close code and reason for a connection that registered while the room terminates.
    var terminationClose: (code: Int, reason: String)? {
        state.withLock { state in state.termination.map { ($0.code, $0.reason) } }
    }

    /// Parks the calling task as `decide` says: it returns nil when it parked the waiter, else
    /// how to resume it at once.
    func park(_ decide: (inout Lifecycle, Waiter) -> RoomWake?) async -> RoomWake {
        await withCheckedContinuation { (continuation: Waiter) in
            if let now = state.withLock({ decide(&$0, continuation) }) { continuation.resume(returning: now) }
        }
    }

    /// Resumes `waiters` with `wake`.
    func resume(_ waiters: [Waiter], _ wake: RoomWake) {
        for waiter in waiters { waiter.resume(returning: wake) }
    }

    // MARK: Idle

    /// The idle timer fired: hibernates or evicts the room if it has been idle long enough,
    /// otherwise re-arms the timer for the rest of the idle period.
    package func idleTimerFired() async {
        let now = clock.now
        let room = self.room
        switch state.withLock({ $0.idleTimerFired(now: now, connections: { room.connectionCount }) }) {
        case .nothing: break
        case .rearm(let due): room.services.idleTimers.schedule(room.key, at: due)
        case .stop(let instance, let hibernate): await stop(instance, hibernate: hibernate)
        }
    }

    /// Hibernates the room now if it is live and no event holds it (graceful shutdown, tests).
    /// Returns whether it hibernated.
    @discardableResult
    package func hibernateNow() async -> Bool {
        guard let instance = state.withLock({ $0.hibernateNow() }) else { return false }
        await stop(instance, hibernate: true)
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
                let now = clock.now
                let (waiters, deadline) = state.withLock { $0.snapshotFailed(instance, now: now) }
                resume(waiters, .retry)
                if let deadline { room.services.idleTimers.schedule(room.key, at: deadline) }
                return
            }
        }
        let stopped = state.withLock { $0.stopFinished(hibernated: hibernate) }
        let activations = room.services.activations
        if let activation = stopped.hibernatedActivation { activations.setHibernated(room.key, activation: activation, true) }
        if let activation = stopped.endedActivation { activations.end(room.key, activation: activation, reason: .swept) }
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
        resume(stopped.waiters, .retry)
    }

    // MARK: Registry bookkeeping

    /// One more connection, request or alarm run uses the slot (called under the registry's lock).
    func addUser() {
        state.withLock { $0.addUser() }
    }

    /// One user is done; returns whether the slot may now be removed from the registry.
    func removeUser() -> Bool {
        state.withLock { $0.removeUser() }
    }

    /// Whether nothing uses the slot and no actor is live (called under the registry's lock).
    var isUnused: Bool { state.withLock { $0.isUnused } }

    /// The slot leaves the registry (called under the registry's lock, once `isUnused`). Pass
    /// what it returns to `reportRetired` after unlocking.
    func retire() -> (endedActivation: UInt64?, wasHibernated: Bool) {
        state.withLock { $0.retire() }
    }

    /// A room that hibernated without connections ends its activation when it leaves the
    /// registry (`swept`).
    func reportRetired(_ retired: (endedActivation: UInt64?, wasHibernated: Bool)) {
        if let ended = retired.endedActivation { room.services.activations.end(room.key, activation: ended, reason: .swept) }
        if retired.wasHibernated { metrics.roomsHibernated.decrement() }
    }
}
