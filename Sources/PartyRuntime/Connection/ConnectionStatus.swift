/// Where a connection is in its life.
public enum ConnectionStatus: Sendable, Equatable {
    /// Open: messages flow both ways.
    case open
    /// A close frame was sent or received; no more messages are delivered to the client.
    case closing
    /// The connection is gone.
    case closed
}
