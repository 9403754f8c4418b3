/// Why bytes could not be read as a Yjs update, state vector or protocol message. The sender is
/// broken or hostile; nothing of the input was applied.
public enum YUpdateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ended inside a value that starts at `offset`.
    case truncated(offset: Int)
    /// A variable-length integer at `offset` is longer than 53 bits (what JavaScript clients
    /// can represent).
    case integerTooLarge(offset: Int)
    /// A string at `offset` is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A struct at `offset` names a content kind or type that does not exist.
    case unknownContent(ref: Int, offset: Int)
    /// A type item at `offset` names a shared type that does not exist.
    case unknownType(ref: UInt64, offset: Int)
    /// An embed, a formatting value or JSON content at `offset` is not JSON text.
    case invalidJSON(offset: Int)
    /// A value in lib0's `any` encoding at `offset` has an unknown tag.
    case unknownValue(tag: UInt8, offset: Int)
    /// Values nest deeper than `YUpdateLimits.maxDepth`.
    case nestedTooDeeply(offset: Int)
    /// A struct's clock range passes 2^53.
    case clockOverflow(client: UInt64)
    /// Bytes remain after the end of the update.
    case trailingBytes(offset: Int)

    /// What went wrong and where.
    public var description: String {
        switch self {
        case .truncated(let offset): "the update ends inside the value at byte \(offset)"
        case .integerTooLarge(let offset): "the integer at byte \(offset) has more than 53 bits"
        case .invalidUTF8(let offset): "the string at byte \(offset) is not valid UTF-8"
        case .unknownContent(let ref, let offset): "unknown content kind \(ref) at byte \(offset)"
        case .unknownType(let ref, let offset): "unknown shared type \(ref) at byte \(offset)"
        case .invalidJSON(let offset): "the JSON text at byte \(offset) does not parse"
        case .unknownValue(let tag, let offset): "unknown value tag \(tag) at byte \(offset)"
        case .nestedTooDeeply(let offset): "values nest too deeply at byte \(offset)"
        case .clockOverflow(let client): "client \(client)'s clock passes 2^53"
        case .trailingBytes(let offset): "unexpected bytes after the update at byte \(offset)"
        }
    }
}
