import NIOWebSocket

/// What a WebSocket's framing allows next, for the handler that keeps it: after the frame decoder
/// rejected a frame, nothing more is read; on the way out, at most one close frame goes, and
/// nothing after it (RFC 6455 §5.5.1), whichever part of the server sends it.
struct FramingState {
    /// The decoder rejected a frame: what the peer sends from then on is discarded.
    private(set) var failed = false
    /// A close frame went out: nothing may follow it.
    private var closeSent = false

    /// The error to hand on for a decoder error: the first `NIOWebSocketError` becomes a
    /// `FramingError` the session answers with a close frame; later ones (the decoder reporting
    /// the bytes it now discards) need no answer and give nil; other errors pass unchanged.
    mutating func report(_ error: any Error) -> (any Error)? {
        if failed { return nil }
        guard let webSocketError = error as? NIOWebSocketError else { return error }
        failed = true
        return FramingError(code: FramingErrorHandler.closeCode(for: webSocketError), underlying: webSocketError)
    }

    /// Whether a frame with `opcode` may be written (false once a close frame went out).
    mutating func mayWrite(_ opcode: WebSocketOpcode) -> Bool {
        guard !closeSent else { return false }
        if opcode == .connectionClose { closeSent = true }
        return true
    }
}
