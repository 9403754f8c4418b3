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
        var waited = false
        // The gate epoch this call holds (taken, or handed over while it waited).
        var held: UInt64?
        do {
            while true {
                let step = try state.withLock { (state) throws(AdmissionRefusal) -> Step in
                    if waited { state.waiting -= 1 }
                    if let epoch = held, epoch != state.gate.epoch { held = nil }
                    switch state.phase {
                    case .live(let instance):
                        if gated, held == nil {
                            guard let epoch = state.gate.tryEnter() else {
                                state.waiting += 1
                                return .queue
                            }
                            held = epoch
                        }
                        state.inFlight += 1
                        return .ready(RoomHold(instance: instance, gateEpoch: held))
                    case .starting(_, let task):
                        state.waiting += 1
                        return .starting(task)
                    case .stopping(let task):
                        state.waiting += 1
                        return .stopping(task)
                    case .idle:
                        if let activation, let current = state.activation, activation != current { return .refused }
                        if let refusal = room.services.admission.beginActivation(refusable: admitting) { throw refusal }
                        if state.activation == nil {
                            guard let adopted = room.services.directory.beginActivation(room.key, expecting: activation) else {
                                room.services.admission.endActivation(started: false)
                                return .refused
                            }
                            state.activation = adopted.activation
                            state.pinned = adopted.pinned
                        }
                        state.generation &+= 1
                        let generation = state.generation
                        let current = state.activation ?? 0
                        let task = Task { try await self.start(generation: generation, activation: current) }
                        state.phase = .starting(generation: generation, task)
                        state.waiting += 1
                        return .starting(task)
                    }
                }
                waited = false
                switch step {
                case .ready(let hold):
                    room.storage.buffer.beginEvent()
                    return hold
                case .queue:
                    waited = true
                    held = await waitForGate()
                case .starting(let task):
                    waited = true
                    do {
                        _ = try await task.value
                    } catch {
                        leaveWaiting()
                        waited = false
                        throw error
                    }
                case .stopping(let task):
                    waited = true
                    await task.value
                case .refused:
                    throw ActivationEnded()
                }
            }
        } catch {
            // The gate was handed to this call while it waited for a start that failed: pass it on.
            if let held { leaveGate(held) }
            throw error
        }
    }

    private enum Step {
        case ready(RoomHold)
        case queue
        case starting(Task<any Server, any Error>)
        case stopping(Task<Void, Never>)
        case refused
    }

    /// Waits in line for the input gate; returns the epoch it was handed in, or nil to try again
    /// (a hard stop reset the gate).
    private func waitForGate() async -> UInt64? {
        await withCheckedContinuation { (continuation: CheckedContinuation<UInt64?, Never>) in
            let entered = state.withLock { state -> UInt64?? in
                if let epoch = state.gate.tryEnter() { return .some(epoch) }
                state.gate.enqueue(continuation)
                return nil
            }
            if let entered { continuation.resume(returning: entered) }
        }
    }

    /// Gives up the input gate held in `epoch`, handing it to the next waiting event.
    private func leaveGate(_ epoch: UInt64) {
        let next = state.withLock { state -> (CheckedContinuation<UInt64?, Never>, UInt64)? in
            guard case .handOver(let waiter) = state.gate.leave(epoch: epoch) else { return nil }
            return (waiter, state.gate.epoch)
        }
        if let (waiter, epoch) = next { waiter.resume(returning: epoch) }
    }

    /// Ends an event that `acquire()` started: seals its writes for the group commit, passes the
    /// input gate on, and arms the idle timer when the room becomes idle.
    package func release(_ hold: RoomHold) {
        room.storage.buffer.endEvent()
        let now = clock.now
        var drained: CheckedContinuation<Void, Never>?
        var next: (CheckedContinuation<UInt64?, Never>, UInt64)?
        let deadline = state.withLock { state -> Date? in
            state.inFlight -= 1
            if let epoch = hold.gateEpoch, case .handOver(let waiter) = state.gate.leave(epoch: epoch) {
                next = (waiter, state.gate.epoch)
            }
            guard state.inFlight == 0 else { return nil }
            if state.termination != nil { drained = state.takeDrained(connections: room.connectionCount) }
            state.lastActivity = now
            guard !state.idleTimerArmed else { return nil }
            state.idleTimerArmed = true
            return now.addingTimeInterval(idleAfter)
        }
        if let (waiter, epoch) = next { waiter.resume(returning: epoch) }
        drained?.resume()
        if let deadline { room.services.idleTimers.schedule(room.key, at: deadline) }
    }

    /// Events waiting for the room: for the input gate, or for a start or stop to finish.
    package var waitingEvents: Int { state.withLock { $0.waiting } }

    /// Frees the input gate whoever holds it (a hard stop): events waiting for it try again.
    func resetGate(_ state: inout SlotState) -> [CheckedContinuation<UInt64?, Never>] {
        Array(state.gate.reset())
    }
}
