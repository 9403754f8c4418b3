import Foundation

/// A WebSocket message: text or binary.
public enum PartySocketMessage: Sendable, Hashable {
    /// A text message.
    case text(String)
    /// A binary message.
    case binary(Data)

    /// The text of a text message, nil for a binary one.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The bytes of a binary message, or the UTF-8 of a text message.
    public var data: Data {
        switch self {
        case .text(let text): Data(text.utf8)
        case .binary(let data): data
        }
    }
}
