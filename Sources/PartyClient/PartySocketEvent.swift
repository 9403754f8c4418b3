/// What a ``PartySocket`` reports in ``PartySocket/events``, in order.
public enum PartySocketEvent: Sendable, Hashable {
    /// A connection opened. Messages queued while disconnected have been sent, in order, before
    /// this event is delivered.
    case open
    /// A message arrived from the room.
    case message(PartySocketMessage)
    /// A connection attempt or a connection ended: `code` and `reason` from the server's close
    /// frame (1005 if it had no code), or 1006 with `wasClean: false` when the connection failed or
    /// dropped without a closing handshake. The socket reconnects after it unless it is closed.
    case close(code: Int, reason: String, wasClean: Bool)
    /// A connection attempt failed, or the connection broke; a ``close(code:reason:wasClean:)``
    /// follows.
    case error(PartySocketError)
}
