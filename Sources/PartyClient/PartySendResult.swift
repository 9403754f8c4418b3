/// What `PartySocket.send` did with a message.
public enum PartySendResult: Sendable, Hashable {
    /// Why a message was not sent.
    public enum DropReason: Sendable, Hashable {
        /// The socket was not open and its queue already held ``PartySocketOptions/maxEnqueuedMessages``.
        case queueFull
        /// The socket is closing or closed; it will not connect again.
        case socketClosed
    }

    /// Written to the open connection now.
    case sent
    /// Queued while the socket is not open; it goes out, in order, when the next connection opens
    /// (before ``PartySocketEvent/open`` is delivered).
    case queued
    /// Dropped, never to be sent.
    case dropped(DropReason)
}
