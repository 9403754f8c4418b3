/// Errors thrown by ``TestWebSocket`` and ``TestHTTPClient``.
public enum TestWebSocketError: Error, CustomStringConvertible, Sendable {
    /// A deadline passed before the awaited thing happened.
    case timeout
    /// The server answered the upgrade request with a status other than 101.
    case upgradeRejected(status: Int, headers: [(String, String)], body: String)
    /// The server answered 101 but the handshake response was not acceptable.
    case invalidHandshake(String)
    /// The server sent something that is not a parseable HTTP response.
    case invalidResponse(String)
    /// A URL could not be parsed or uses an unsupported scheme.
    case invalidURL(String)
    /// The connection closed before the operation could complete.
    case connectionClosed(String)
    /// An event other than the expected kind was received.
    case unexpected(TestWebSocket.Event)

    /// A human-readable explanation of the error.
    public var description: String {
        switch self {
        case .timeout:
            return "TestWebSocketError.timeout: the deadline passed before the awaited event happened"
        case .upgradeRejected(let status, let headers, let body):
            let headerText = headers.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
            return "TestWebSocketError.upgradeRejected: status \(status), headers [\(headerText)], body \(Self.quote(body))"
        case .invalidHandshake(let reason):
            return "TestWebSocketError.invalidHandshake: \(reason)"
        case .invalidResponse(let reason):
            return "TestWebSocketError.invalidResponse: \(reason)"
        case .invalidURL(let reason):
            return "TestWebSocketError.invalidURL: \(reason)"
        case .connectionClosed(let reason):
            return "TestWebSocketError.connectionClosed: \(reason)"
        case .unexpected(let event):
            return "TestWebSocketError.unexpected: got \(event)"
        }
    }

    /// Quotes and truncates a body for display.
    private static func quote(_ text: String) -> String {
        let limit = 500
        if text.count <= limit { return "\"\(text)\"" }
        return "\"\(text.prefix(limit))…\" (\(text.utf8.count) bytes)"
    }
}
