import Foundation
import NIOCore

/// A WebSocket message: text or binary, carried as the bytes that travel on the wire.
///
/// The payload is kept as a `ByteBuffer`, so relaying a message (`room.broadcast(message)`)
/// costs no copy and no re-encoding.
public struct Message: Sendable, Equatable {
    /// Whether the message is text (UTF-8) or binary.
    public enum Kind: Sendable, Equatable {
        /// A text message; its payload is valid UTF-8.
        case text
        /// A binary message.
        case binary
    }

    /// Whether this is a text or a binary message.
    public let kind: Kind
    /// The payload bytes (UTF-8 for text messages).
    public let buffer: ByteBuffer

    /// Creates a message from a kind and a payload; text payloads must be valid UTF-8.
    public init(kind: Kind, buffer: ByteBuffer) {
        self.kind = kind
        self.buffer = buffer
    }

    /// A text message.
    public static func text(_ string: String) -> Message {
        Message(kind: .text, buffer: ByteBuffer(string: string))
    }

    /// A binary message from a buffer.
    public static func binary(_ buffer: ByteBuffer) -> Message {
        Message(kind: .binary, buffer: buffer)
    }

    /// A binary message from bytes.
    public static func binary(_ bytes: some Sequence<UInt8>) -> Message {
        Message(kind: .binary, buffer: ByteBuffer(bytes: bytes))
    }

    /// A text message holding `value` as JSON (keys sorted); throws when it does not encode.
    public static func json<T: Encodable>(_ value: T) throws(PartyError) -> Message {
        do {
            return Message(kind: .text, buffer: ByteBuffer(bytes: try JSONCoding.encoder.encode(value)))
        } catch {
            throw .messageEncoding("\(error)")
        }
    }

    /// The payload decoded from JSON as `type`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// The text of a text message, or `nil` for a binary message.
    public var text: String? {
        kind == .text ? String(buffer: buffer) : nil
    }

    /// The payload as an array of bytes.
    public var bytes: [UInt8] {
        Array(buffer.readableBytesView)
    }

    /// The payload as `Data`.
    public var data: Data {
        Data(buffer.readableBytesView)
    }

    /// Number of payload bytes.
    public var count: Int { buffer.readableBytes }
}
