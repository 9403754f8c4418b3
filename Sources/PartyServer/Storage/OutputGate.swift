import Synchronization

/// Holds a room's outgoing messages while one of its writes is not yet durable.
///
/// Every storage write of a room calls `beginWrite()` before it is submitted and `endWrite()` once
/// it is committed (or failed). While any write is pending, messages the room sends are held, in
/// order, and released when the last pending write ends: a client never sees an acknowledgement
/// of state that a crash would lose.
package final class OutputGate: Sendable {
    package init() {}

    /// A write of this room was submitted and is not yet durable.
    package func beginWrite() {}

    /// A write that `beginWrite()` announced is durable (or failed); releases held messages when
    /// it was the last one.
    package func endWrite() {}
}
