/// What a connection asks of the transport that carries it (an object: a connection keeps one
/// reference to it, not a copy).
package protocol ConnectionTransport: AnyObject, Sendable {
    /// The connection began closing. `urgent` is a close frame to put on the wire ahead of the
    /// queue (the queue overflowed and the client is not reading); the transport also bounds how
    /// long the closing handshake may take.
    func connectionDidStartClosing(urgent: OutboundFrame?)

    /// Frames wait in the connection's queue, or its writer should finish: the transport takes
    /// them with `Connection.takeOutbound()` when it can write. Called at most once until that
    /// call, from any thread, never under the connection's lock.
    func outputReady()

    /// Closes the underlying connection now, without a closing handshake (a hard termination).
    func abort()
}

extension ConnectionTransport {
    /// Does nothing (transports without an underlying connection).
    package func abort() {}
}
