import Foundation
import HTTPTypes
import NIOCore

/// An HTTP request to a room, or the upgrade request of a WebSocket connection.
///
/// `path` is what follows `/{prefix}/{server}/{name}` (empty, or starting with `/`), so a room can
/// serve sub-resources. `onBeforeConnect` / `onBeforeRequest` may return a modified copy: change
/// headers, attach `user` or `properties`, and the room sees the result.
public struct Request: Sendable {
    /// The HTTP method.
    public var method: HTTPRequest.Method
    /// The full request target as received: path and query, percent-encoded.
    public var uri: String
    /// The path after the room's name (`""` or `/more/path`), percent-encoded.
    public var path: String
    /// Query parameters, percent-decoded, in order of appearance.
    public var query: [(name: String, value: String)]
    /// The request headers.
    public var headers: HTTPFields
    /// The request body (empty for WebSocket upgrades and bodiless requests).
    public var body: ByteBuffer
    /// The authenticated user, when a before-hook or an authenticator attached one.
    public var user: User?
    /// Extra context set by `onBeforeConnect` / `onBeforeRequest` for the room to read.
    public var properties: [String: String]
    /// The `auth` value a backend gave `POST /_party/connect` (or `app.rooms.connect`), from the
    /// connection token the client presented; `nil` without one.
    public var auth: JSONPayload?
    /// The client's IP address: the peer's, or, from a proxy listed in
    /// `PartyConfiguration.trustedProxies`, the one it forwarded (`Forwarded` / `X-Forwarded-For`).
    /// nil when unknown (a request made in process).
    public var remoteAddress: String?

    /// Creates a request.
    public init(
        method: HTTPRequest.Method = .get,
        uri: String,
        path: String = "",
        query: [(name: String, value: String)] = [],
        headers: HTTPFields = [:],
        body: ByteBuffer = ByteBuffer(),
        user: User? = nil,
        properties: [String: String] = [:],
        auth: JSONPayload? = nil,
        remoteAddress: String? = nil
    ) {
        self.method = method
        self.uri = uri
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
        self.properties = properties
        self.auth = auth
        self.remoteAddress = remoteAddress
    }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The body decoded as UTF-8 text.
    public var text: String { String(buffer: body) }

    /// Decodes the JSON body.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }
}

extension Request: CustomStringConvertible {
    /// `METHOD uri`, for logs.
    public var description: String { "\(method) \(uri)" }
}
