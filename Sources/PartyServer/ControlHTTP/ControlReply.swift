import HTTPTypes
import NIOCore

/// What the control API answers: a complete response, or a streamed body (Server-Sent Events).
enum ControlReply: Sendable {
    /// A complete response.
    case response(Response)
    /// `200` with `headers`, then whatever `body` writes with the function it is given, until it returns.
    case stream(headers: HTTPFields, body: @Sendable (_ write: (ByteBuffer) async throws -> Void) async throws -> Void)
}
