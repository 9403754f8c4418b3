import Synchronization

/// Holds a room's outgoing messages while one of its writes is not yet durable.
///
/// Every storage write of a room calls `beginWrite()` before it is submitted and `endWrite()` once
/// it is committed (or failed). While any write is pending, messages and closes the room sends
/// are held, in order, and released when the last pending write ends: a client never sees an
/// acknowledgement of state that a crash would lose. With no write pending, sending costs one
/// atomic load.
package final class OutputGate: Sendable {
    /// Pending writes, readable without the lock (the fast path of every send).
    private let pendingWrites = Atomic<Int>(0)
    private let state = Mutex(GateState())

    /// What the gate holds while writes are pending.
    private struct GateState {
        var pendingWrites = 0
        var held: [HeldOutput] = []
    }

    /// One held send or close.
    private enum HeldOutput {
        case frame(Connection, OutboundFrame)
        case close(Connection, code: Int, reason: String)
    }

    package init() {}

    /// Whether no write is pending (messages go straight to the connections' queues).
    package var isOpen: Bool { pendingWrites.load(ordering: .acquiring) == 0 }

    /// A write of this room was submitted and is not yet durable.
    package func beginWrite() {
        state.withLock { state in
            state.pendingWrites += 1
            pendingWrites.store(state.pendingWrites, ordering: .releasing)
        }
    }

    /// A write that `beginWrite()` announced is durable (or failed); releases held output, in
    /// order, when it was the last one.
    package func endWrite() {
        state.withLock { state in
            state.pendingWrites -= 1
            if state.pendingWrites == 0 {
                for output in state.held {
                    switch output {
                    case .frame(let connection, let frame): connection.push(frame)
                    case .close(let connection, let code, let reason): connection.startClosing(code: code, reason: reason)
                    }
                }
                state.held.removeAll()
            }
            pendingWrites.store(state.pendingWrites, ordering: .releasing)
        }
    }

    /// Number of sends and closes currently held.
    package var heldCount: Int { state.withLock { $0.held.count } }

    /// Queues `frame` on `connection` now, or holds it until pending writes are durable.
    func send(_ frame: OutboundFrame, to connection: Connection) {
        if isOpen {
            connection.push(frame)
            return
        }
        state.withLock { state in
            if state.pendingWrites > 0 {
                state.held.append(.frame(connection, frame))
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
            let hold = state.pendingWrites > 0
            for connection in connections {
                if hold { state.held.append(.frame(connection, frame)) } else { connection.push(frame) }
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
            if state.pendingWrites > 0 {
                state.held.append(.close(connection, code: code, reason: reason))
            } else {
                connection.startClosing(code: code, reason: reason)
            }
        }
    }
}
