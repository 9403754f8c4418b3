/// What `onError` receives when a client broke the WebSocket protocol or a limit (an invalid
/// frame, text that is not UTF-8, a message over the size limit, too many messages): the
/// connection is being closed with `code` and `reason`, and `onClose` follows.
public struct ConnectionProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The close code sent to the client (1002, 1007, 1008 or 1009).
    public var code: Int
    /// The close reason sent to the client.
    public var reason: String

    /// An error for a connection closed with `code` and `reason`.
    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// `code reason`.
    public var description: String { "\(code) \(reason)" }
}
