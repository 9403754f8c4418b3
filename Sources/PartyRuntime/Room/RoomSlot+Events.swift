import Foundation
import Synchronization

/// One event's hold on a room: the live instance, and the input gate it entered (if the type
/// uses one). Give it back with `RoomSlot.release(_:)`.
package struct RoomHold: Sendable {
    /// The instance the event runs on.
    package let instance: any Server
    /// The epoch of the input gate the event holds; nil when the type opts out of the gate.
    let gateEpoch: UInt64?
}

extension RoomSlot {
    /// The live instance for one event, starting it (restore snapshot, `onStart`) if needed, and
    /// the room's input gate: unless the type opts out, events run one at a time, in the order
    /// they arrived, so a hook's storage reads and writes never interleave with another event's.
    /// Pair every successful call with `release(_:)`. Throws if the room failed to start, or, for
    /// new work (`admitting`: a new connection or request), an `AdmissionRefusal` when starting
    /// the room would pass a room limit.
    ///
    /// A start without an activation begins one in the `RoomDirectory` (or adopts the one a
    /// control-API spawn scheduled); with `expecting`, only that scheduled activation is started.
    package func acquire(admitting: Bool = false, expecting activation: UInt64? = nil) async throws -> RoomHold {
        // The gate epoch this call holds (handed over while it waited).
        var held: UInt64?
        var returning = false
        do {
            while true {
                let step = state.withLock { $0.acquire(expecting: activation, holding: &held, returning: returning) }
                returning = false
                let reason: Lifecycle.WaitFor
                switch step {
                case .ready(let instance, let epoch):
                    room.storage.buffer.beginEvent()
                    return RoomHold(instance: instance, gateEpoch: epoch)
                case .refused:
                    throw ActivationEnded()
                case .start(let generation, let needsActivation):
                    try beginStart(generation, needsActivation: needsActivation, admitting: admitting, expecting: activation)
                    reason = .start(generation)
                case .wait(let what):
                    reason = what
                }
                let holding = held
                switch await park({ $0.park($1, for: reason, holding: holding) }) {
                case .retry:
                    returning = true
                case .entered(let epoch):
                    returning = true
                    held = epoch
                case .failed(let error):
                    let room = self.room
                    let drained = state.withLock { $0.gaveUp(connections: { room.connectionCount }) }
                    drained?.resume(returning: .retry)
                    throw error
                }
            }
        } catch {
            // The gate was handed to this call while it waited for a start that failed: pass it on.
            if let held, let next = state.withLock({ $0.leaveGate(held) }) { next.waiter.resume(returning: .entered(next.epoch)) }
            throw error
        }
    }

    /// Begins the start this call reserved: checks the room limits, begins or adopts the
    /// activation in the directory, then runs the start in its own task. Gives the reservation
    /// back and throws when a limit or the directory refuses.
    private func beginStart(_ generation: UInt64, needsActivation: Bool, admitting: Bool, expecting: UInt64?) throws {
        let admission = room.services.admission
        do {
            if let refusal = admission.beginActivation(refusable: admitting) { throw refusal }
            if needsActivation {
                guard let adopted = room.services.activations.beginActivation(room.key, expecting: expecting) else {
                    admission.endActivation(started: false)
                    throw ActivationEnded()
                }
                state.withLock { $0.activationBegun(adopted.activation, pinned: adopted.pinned) }
            }
        } catch {
            resume(state.withLock { $0.abortStart(generation) }, .retry)
            throw error
        }
        let current = state.withLock { $0.activation } ?? 0
        Task { await self.start(generation: generation, activation: current) }
    }

    /// Ends an event that `acquire()` started: seals its writes for the group commit, passes the
    /// input gate on, and arms the idle timer when the room becomes idle.
    package func release(_ hold: RoomHold) {
        room.storage.buffer.endEvent()
        let now = clock.now
        let room = self.room
        let released = state.withLock { $0.release(gateEpoch: hold.gateEpoch, now: now, connections: { room.connectionCount }) }
        if let next = released.handOver { next.waiter.resume(returning: .entered(next.epoch)) }
        released.drained?.resume(returning: .retry)
        if let deadline = released.idleDeadline { room.services.idleTimers.schedule(room.key, at: deadline) }
    }
}
