/// Failures of the transport that need their own ``PartySocketError``; any other error of a
/// connection attempt becomes ``PartySocketError/Code/connectionFailed``.
enum TransportError: Error {
    /// The server answered the upgrade with `status` and `body` instead of 101.
    case rejected(status: Int, body: String)
    /// The 101 response or the stream broke the protocol.
    case protocolViolation(String)
    /// A response was larger than the limit.
    case tooLarge(Int)
    /// The connection closed before the response was complete.
    case incompleteResponse
    /// The clock reached the deadline first.
    case timedOut
}
