import Foundation
import HTTPTypes
import NIOCore

/// An HTTP response from a room's `onRequest`, or from a before-hook that rejects a request.
public struct Response: Sendable {
    /// The status code.
    public var status: HTTPResponse.Status
    /// Response headers.
    public var headers: HTTPFields
    /// Response body.
    public var body: ByteBuffer

    /// Creates a response.
    public init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ByteBuffer(string: text))
    }

    /// A `text/html; charset=utf-8` response.
    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: ByteBuffer(string: html))
    }

    /// An `application/json` response with `value` encoded (sorted keys).
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        do {
            let data = try JSONCoding.encoder.encode(value)
            return Response(status: status, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
        } catch {
            return .error(.internalServerError, "could not encode the response: \(error)")
        }
    }

    /// A redirect to `location` (302 Found by default; 303, 307 or 308 as `status`).
    public static func redirect(to location: String, status: HTTPResponse.Status = .found) -> Response {
        Response(status: status, headers: [.location: location])
    }

    /// The JSON error body every PartyServer error uses: `{"error": message, "status": code}`.
    public static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = ErrorBody(error: message, status: status.code)
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data("{\"error\":\"error\"}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
    }

    /// A 404 Not Found with a JSON error body.
    public static var notFound: Response { .error(.notFound, "not found") }

    /// The body decoded as UTF-8 text.
    public var text: String { String(buffer: body) }
}

/// The shape of every JSON error body.
struct ErrorBody: Codable, Sendable {
    var error: String
    var status: Int
}

/// Shared JSON coders (created once).
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
