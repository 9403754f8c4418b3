import Foundation

/// A server type whose clients send JSON messages of one `Decodable` type: `onMessage` receives
/// the decoded value, and `send(_:to:)` / `broadcast(_:in:excluding:)` send the room's typed answers.
///
/// ```swift
/// actor Board: TypedServer {
///     enum ClientMessage: Decodable, Sendable { case move(from: String, to: String), resign }
///     struct ServerMessage: Encodable, Sendable { var moved: String }
///     let room: Room
///     init(room: Room) { self.room = room }
///     func onMessage(_ connection: Connection, _ message: ClientMessage) async throws {
///         if case .move(let from, let to) = message { try broadcast(ServerMessage(moved: "\(from)-\(to)"), in: room) }
///     }
/// }
/// ```
///
/// A message that does not decode (text or binary, as JSON) never reaches `onMessage`: `onError`
/// receives a `MessageDecodingError`, then `malformedMessages` decides: close with 1003 (the
/// default) or answer `{"error": …, "status": 400}` and keep the connection.
public protocol TypedServer: Server {
    /// What clients send, decoded from each message's JSON.
    associatedtype ClientMessage: Decodable & Sendable
    /// What the room sends, encoded as JSON text.
    associatedtype ServerMessage: Encodable & Sendable

    /// A message arrived and decoded as `ClientMessage`.
    func onMessage(_ connection: Connection, _ message: ClientMessage) async throws

    /// What happens to a message that does not decode. Default `.close`.
    static var malformedMessages: MalformedMessagePolicy { get }
}

/// What a `TypedServer` does with a message that does not decode as its `ClientMessage`.
public enum MalformedMessagePolicy: Sendable, Equatable {
    /// Close the connection with 1003 (unsupported data) and the decoding error as its reason.
    case close
    /// Send the client `{"error": "…", "status": 400}` as a text message and keep the connection.
    case reply
}

/// What `onError` receives for a message a `TypedServer` could not decode.
public struct MessageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The type the message should have decoded as.
    public var type: String
    /// What was wrong, with the path of the field (`move.from: expected a string`).
    public var detail: String

    /// An error for a message that did not decode as `type`.
    public init(type: String, detail: String) {
        self.type = type
        self.detail = detail
    }

    /// A sentence for the client and the log.
    public var description: String { "message does not decode as \(type): \(detail)" }
}

extension TypedServer {
    /// Close with 1003.
    public static var malformedMessages: MalformedMessagePolicy { .close }

    /// Decodes `message` as `ClientMessage` and calls the typed `onMessage`; see the protocol for
    /// messages that do not decode.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        let decoded: ClientMessage
        do {
            decoded = try message.decode(ClientMessage.self)
        } catch {
            let failure = MessageDecodingError(type: String(describing: ClientMessage.self), detail: Self.describe(error))
            await onError(connection, failure)
            switch Self.malformedMessages {
            case .close: connection.close(code: CloseCode.unsupportedData, reason: failure.description)
            case .reply: connection.send(text: Self.errorReply(failure))
            }
            return
        }
        try await onMessage(connection, decoded)
    }

    /// Sends `message` to `connection` as JSON text.
    public nonisolated func send(_ message: ServerMessage, to connection: Connection) throws(PartyError) {
        try connection.send(json: message)
    }

    /// Sends `message` as JSON text to every open connection of `room` except those in `excluding`
    /// (ids), encoding it once.
    public nonisolated func broadcast(_ message: ServerMessage, in room: Room, excluding: [String] = []) throws(PartyError) {
        try room.broadcast(json: message, excluding: excluding)
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        let (context, what): (DecodingError.Context, String) =
            switch error {
            case .keyNotFound(let key, let context): (context, "missing field \(key.stringValue.debugDescription)")
            case .typeMismatch(_, let context): (context, context.debugDescription)
            case .valueNotFound(_, let context): (context, context.debugDescription)
            case .dataCorrupted(let context): (context, context.debugDescription)
            @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "\(error)")
            }
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        let text = path.isEmpty ? what : "\(path): \(what)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    private static func errorReply(_ failure: MessageDecodingError) -> String {
        let body = ErrorBody(error: failure.description, status: 400)
        return (try? String(decoding: JSONCoding.encoder.encode(body), as: UTF8.self)) ?? #"{"error":"malformed message","status":400}"#
    }
}
