extension TestWebSocket {
    /// Something that happened on the connection, in arrival order.
    public enum Event: Sendable, Equatable, CustomStringConvertible {
        /// A complete (reassembled) text message, decoded as UTF-8 (lossily).
        case text(String)
        /// A complete (reassembled) binary message.
        case binary([UInt8])
        /// A ping from the server (already answered with a pong automatically).
        case ping([UInt8])
        /// A pong from the server.
        case pong([UInt8])
        /// A close frame from the server; `code` is nil when the frame had no status code.
        case close(code: Int?, reason: String)
        /// The TCP connection closed; nothing follows this event.
        case disconnected

        /// A short description that truncates large payloads.
        public var description: String {
            switch self {
            case .text(let text):
                let shown = text.count > 200 ? "\(text.prefix(200))… (\(text.utf8.count) bytes)" : text
                return ".text(\"\(shown)\")"
            case .binary(let bytes):
                return ".binary(\(Self.describe(bytes)))"
            case .ping(let bytes):
                return ".ping(\(Self.describe(bytes)))"
            case .pong(let bytes):
                return ".pong(\(Self.describe(bytes)))"
            case .close(let code, let reason):
                return ".close(code: \(code.map(String.init) ?? "nil"), reason: \"\(reason)\")"
            case .disconnected:
                return ".disconnected"
            }
        }

        /// Describes a byte payload, listing at most 32 bytes.
        private static func describe(_ bytes: [UInt8]) -> String {
            let shown = bytes.prefix(32).map { String($0) }.joined(separator: ", ")
            return bytes.count > 32 ? "[\(shown), …] (\(bytes.count) bytes)" : "[\(shown)]"
        }
    }
}
