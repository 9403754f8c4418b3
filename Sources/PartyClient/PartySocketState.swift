/// Where a ``PartySocket`` is in its life.
public enum PartySocketState: String, Sendable, Hashable {
    /// Not connected: ``PartySocket/run()`` has not started yet, or the socket waits for its next
    /// attempt after a connection failed or closed. Messages sent now are queued.
    case disconnected
    /// A connection attempt is in progress. Messages sent now are queued.
    case connecting
    /// Connected; messages go out at once.
    case open
    /// ``PartySocket/close()`` was called and the closing handshake is in progress. Messages are dropped.
    case closing
    /// Closed for good: after ``PartySocket/close()``, or once ``PartySocketOptions/maxRetries`` was
    /// exhausted. It never reconnects; ``PartySocket/run()`` has returned or returns now.
    case closed
}
