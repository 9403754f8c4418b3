/// What one open WebSocket connection reports to the socket's run loop.
enum WireEvent: Sendable {
    /// A complete text or binary message.
    case message(PartySocketMessage)
    /// The server's close frame (code 1005 if it carried none).
    case closeFrame(code: Int, reason: String)
    /// The connection broke (an I/O or protocol error).
    case failure(String)
}
