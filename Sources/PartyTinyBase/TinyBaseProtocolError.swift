/// Why a TinyBase payload, message or piece of content was refused. A room closes the
/// connection with `closeCode`: 1013 when a limit was exceeded (TinyBase's "overflow" errors),
/// 1007 for anything malformed.
public enum TinyBaseProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not JSON as `JSON.parse` reads it (or nests too deeply).
    case invalidJSON(String)
    /// A payload has no "\n" after its client id.
    case missingSeparator
    /// The JSON is not a message `[requestId | null, type, body]`.
    case invalidMessage(String)
    /// The message type is not one of 0 (Response) ... 7 (GetValueDiff).
    case unknownMessageType(Double)
    /// The body does not have the shape the message type needs.
    case invalidBody(type: Int, reason: String)
    /// A fragment of a split message is malformed (bad index or total, a repeat, a mismatch).
    case invalidFragment(String)
    /// A limit was exceeded: payload size, fragments a message, messages in reassembly or bytes
    /// buffered.
    case overflow(String)
    /// Stored or imported mergeable content is malformed.
    case invalidContent(String)

    /// The WebSocket close code TinyBase uses for this error: 1013 for overflow, else 1007.
    public var closeCode: UInt16 {
        if case .overflow = self { return 1013 }
        return 1007
    }

    /// A sentence saying what is wrong.
    public var description: String {
        switch self {
        case .invalidJSON(let reason): "invalid JSON: \(reason)"
        case .missingSeparator: "payload has no newline after the client id"
        case .invalidMessage(let reason): "invalid TinyBase message: \(reason)"
        case .unknownMessageType(let type): "unknown TinyBase message type \(TinyBaseJSON.javaScriptString(type))"
        case .invalidBody(let type, let reason): "invalid body for TinyBase message type \(type): \(reason)"
        case .invalidFragment(let reason): "invalid fragment: \(reason)"
        case .overflow(let reason): "overflow: \(reason)"
        case .invalidContent(let reason): "invalid mergeable content: \(reason)"
        }
    }
}
