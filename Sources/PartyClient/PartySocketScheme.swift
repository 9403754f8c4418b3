/// Whether a socket uses TLS: `ws`/`http` or `wss`/`https`.
public enum PartySocketScheme: String, Sendable, CaseIterable {
    /// Plain TCP: `ws://` for the WebSocket, `http://` for ``PartySocket/fetch(method:path:headers:body:)``.
    case ws
    /// TLS: `wss://` for the WebSocket, `https://` for ``PartySocket/fetch(method:path:headers:body:)``.
    case wss

    /// Whether this scheme uses TLS.
    public var isSecure: Bool { self == .wss }

    /// The matching HTTP scheme, `http` or `https`.
    public var httpScheme: String { isSecure ? "https" : "http" }
}
