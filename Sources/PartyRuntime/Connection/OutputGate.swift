import DequeModule
import Synchronization

/// Holds a room's outgoing messages until the writes the room made before sending them are
/// durable.
///
/// Every write batch of a room has a sequence number (`RoomWriteBuffer`). A write announces its
/// batch with `noteWrite(_:)`; whatever the room sends after that (messages, closes) is held,
/// in order, until `release(through:)` reports that batch durable. Output sent before a write is
/// not held by it, so in a busy room each message waits only for the writes that came before it,
/// never for later ones. With no write pending, sending costs one atomic load.
package final class OutputGate: Sendable {
    /// Whether anything is held or a write is pending (the fast path of every send reads only this).
    private let holding = Atomic<Bool>(false)
    private let state = Mutex(GateState())

    /// The gate's sequence numbers and what it holds.
    private struct GateState {
        /// The latest batch a write announced: output sent now waits for it.
        var issued: UInt64 = 0
        /// Every batch up to this one is durable.
        var durable: UInt64 = 0
        /// Held output, each with the batch it waits for (non-decreasing).
        var held: Deque<(required: UInt64, output: HeldOutput)> = []

        var isHolding: Bool { issued > durable }
    }

    /// One held send or close.
    private enum HeldOutput {
        case frame(Connection, OutboundFrame)
        case close(Connection, code: Int, reason: String)

        func deliver() {
            switch self {
            case .frame(let connection, let frame): connection.push(frame)
            case .close(let connection, let code, let reason): connection.startClosing(code: code, reason: reason)
            }
        }
    }

    package init() {}

    /// Whether no write is pending (messages go straight to the connections' queues).
    package var isOpen: Bool { !holding.load(ordering: .acquiring) }

    /// Number of sends and closes currently held.
    package var heldCount: Int { state.withLock { $0.held.count } }

    /// The batch that output sent now would wait for (0 when none is pending).
    package var barrier: UInt64 {
        state.withLock { $0.isHolding ? $0.issued : 0 }
    }

    /// A write of batch `sequence` was made and is not yet durable: later output waits for it.
    package func noteWrite(_ sequence: UInt64) {
        state.withLock { state in
            guard sequence > state.issued else { return }
            state.issued = sequence
            holding.store(state.isHolding, ordering: .releasing)
        }
    }

    /// Every batch up to `sequence` is durable: releases the output that waited for them, in order.
    package func release(through sequence: UInt64) {
        state.withLock { state in
            guard sequence > state.durable else { return }
            state.durable = sequence
            while let first = state.held.first, first.required <= sequence {
                state.held.removeFirst().output.deliver()
            }
            holding.store(state.isHolding, ordering: .releasing)
        }
    }

    /// The pending writes failed and will never be durable: drops everything held (it reflects
    /// state that was not stored) and opens the gate. Returns how many sends and closes it dropped.
    @discardableResult
    package func discardHeld() -> Int {
        state.withLock { state in
            let dropped = state.held.count
            state.held.removeAll()
            state.durable = state.issued
            holding.store(false, ordering: .releasing)
            return dropped
        }
    }

    /// Queues `frame` on `connection` now, or holds it until pending writes are durable.
    func send(_ frame: OutboundFrame, to connection: Connection) {
        if isOpen {
            connection.push(frame)
            return
        }
        state.withLock { state in
            if state.isHolding {
                state.held.append((state.issued, .frame(connection, frame)))
            } else {
                connection.push(frame)
            }
        }
    }

    /// Sends `frame` to each of `connections` now, or holds them; returns how many were addressed.
    func send<C: Sequence<Connection>>(_ frame: OutboundFrame, toEach connections: C) -> Int {
        var count = 0
        if isOpen {
            for connection in connections {
                connection.push(frame)
                count += 1
            }
            return count
        }
        state.withLock { state in
            let hold = state.isHolding
            for connection in connections {
                if hold { state.held.append((state.issued, .frame(connection, frame))) } else { connection.push(frame) }
                count += 1
            }
        }
        return count
    }

    /// Starts closing `connection` now, or after the output held before it.
    func close(_ connection: Connection, code: Int, reason: String) {
        if isOpen {
            connection.startClosing(code: code, reason: reason)
            return
        }
        state.withLock { state in
            if state.isHolding {
                state.held.append((state.issued, .close(connection, code: code, reason: reason)))
            } else {
                connection.startClosing(code: code, reason: reason)
            }
        }
    }
}
