/// What went wrong in a ``PartySocket``, and what to do about it (see ``description``).
///
/// Match on ``code``; ``status`` carries the HTTP status of a refused upgrade. Errors while the
/// socket connects arrive as ``PartySocketEvent/error(_:)`` and are followed by a retry; errors of
/// a call (an invalid option, ``PartySocket/fetch(method:path:headers:body:)``) are thrown.
public struct PartySocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error.
    public enum Code: String, Sendable, Hashable {
        /// ``PartySocketOptions/host`` is not a host with an optional port.
        case invalidHost
        /// An option is out of range (``PartySocketError/detail`` says which).
        case invalidOptions
        /// A header name or value cannot be sent, or the header is one PartySocket sets itself.
        case invalidHeader
        /// `close(code:reason:)` got a code or reason a close frame cannot carry.
        case invalidClose
        /// The `query` or `headers` provider threw.
        case parametersFailed
        /// The TCP or TLS connection could not be made.
        case connectionFailed
        /// The handshake did not finish within ``PartySocketOptions/connectionTimeout``.
        case connectionTimedOut
        /// An open connection broke without a closing handshake (reset, I/O or protocol error).
        case connectionLost
        /// The server answered the upgrade request with a status other than 101.
        case upgradeRejected
        /// The server's 101 response or its frames broke the WebSocket protocol.
        case protocolViolation
        /// ``PartySocket/run()`` was called a second time.
        case alreadyRunning
        /// An HTTP request made with `fetch` failed before a complete response arrived.
        case requestFailed
        /// An HTTP request made with `fetch` took longer than ``PartySocketOptions/fetchTimeout``.
        case requestTimedOut
        /// An HTTP response was larger than ``PartySocketOptions/maxMessageSize``.
        case responseTooLarge
    }

    /// The kind of error.
    public let code: Code
    /// The HTTP status, for ``Code/upgradeRejected``.
    public let status: Int?
    /// What happened and what to do about it.
    public let detail: String

    private init(_ code: Code, status: Int? = nil, _ detail: String) {
        self.code = code
        self.status = status
        self.detail = detail
    }

    /// `code: detail`.
    public var description: String { "\(code.rawValue): \(detail)" }

    static func invalidHost(_ text: String) -> Self {
        Self(.invalidHost, "\"\(text)\" is not a host; give a name or an address with an optional port, e.g. \"example.com\", \"localhost:1999\" or \"[::1]:1999\"")
    }

    static func invalidOptions(_ detail: String) -> Self {
        Self(.invalidOptions, detail)
    }

    static func invalidHeader(_ name: String, _ why: String) -> Self {
        Self(.invalidHeader, "header \"\(name)\" \(why)")
    }

    static func invalidClose(_ detail: String) -> Self {
        Self(.invalidClose, detail)
    }

    static func parametersFailed(_ which: String, _ error: any Error) -> Self {
        Self(.parametersFailed, "the \(which) provider threw \(error); the socket retries with backoff (fetch throws), so make the provider succeed, e.g. by refreshing the token")
    }

    static func connectionFailed(_ authority: String, _ reason: String) -> Self {
        Self(.connectionFailed, "could not connect to \(authority): \(reason); the socket retries with backoff, check that the server runs there")
    }

    static func connectionLost(_ reason: String) -> Self {
        Self(.connectionLost, "the connection broke: \(reason); the socket reconnects with backoff")
    }

    static func connectionTimedOut(_ authority: String, _ timeout: Duration) -> Self {
        Self(.connectionTimedOut, "no WebSocket handshake with \(authority) within \(timeout) (connectionTimeout); the socket retries with backoff")
    }

    static func upgradeRejected(_ status: Int, _ body: String) -> Self {
        let excerpt = body.count > 200 ? body.prefix(200) + "…" : Substring(body)
        let hint = switch status {
        case 401, 403: "check the credentials in headers or query (e.g. Authorization)"
        case 404: "check party, room and prefix: is a server registered under that party name?"
        case 400: "check the room name (1–128 characters, no \"/\" or control characters)"
        default: "check the URL and the server's logs"
        }
        return Self(.upgradeRejected, status: status, "the server answered the WebSocket upgrade with HTTP \(status) \(excerpt); \(hint); the socket retries with backoff")
    }

    static func protocolViolation(_ detail: String) -> Self {
        Self(.protocolViolation, "\(detail); is the host a PartyServer (or another WebSocket server)?")
    }

    static let alreadyRunning = Self(.alreadyRunning, "run() was already called on this socket; call it once, and create a new PartySocket (with the same id if you like) to connect again after it returned")

    static func requestFailed(_ url: String, _ reason: String) -> Self {
        Self(.requestFailed, "the request to \(url) failed: \(reason); check that the server runs there")
    }

    static func requestTimedOut(_ url: String, _ timeout: Duration) -> Self {
        Self(.requestTimedOut, "no complete response from \(url) within \(timeout) (fetchTimeout)")
    }

    static func responseTooLarge(_ url: String, _ limit: Int) -> Self {
        Self(.responseTooLarge, "the response from \(url) is larger than \(limit) bytes; raise maxMessageSize if that is expected")
    }
}
