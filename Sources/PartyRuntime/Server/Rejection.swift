import HTTPTypes

/// Thrown by `onBeforeConnect` / `onBeforeRequest` to answer a request before any room wakes.
///
/// The client receives `status` with the JSON body `{"error": message, "status": code}`, or,
/// made with `respond(_:)`, the hook's own response (a redirect, a page).
public struct Rejection: Error, Sendable, CustomStringConvertible {
    /// The HTTP status sent to the client.
    public var status: HTTPResponse.Status
    /// The message sent to the client in the JSON error body.
    public var message: String
    /// Extra response headers (for example `WWW-Authenticate`).
    public var headers: HTTPFields
    /// The whole answer, when the hook gave its own (`respond(_:)`).
    public var answer: Response?

    /// Creates a rejection.
    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// Answers with `response` as it is, e.g. `throw Rejection.respond(.redirect(to: "/login"))`.
    /// For a WebSocket upgrade, the client receives it instead of the upgrade.
    public static func respond(_ response: Response) -> Rejection {
        var rejection = Rejection(response.status, "answered by the before-hook")
        rejection.answer = response
        return rejection
    }

    /// 401 Unauthorized.
    public static func unauthorized(_ message: String = "unauthorized") -> Rejection { .init(.unauthorized, message) }
    /// 403 Forbidden.
    public static func forbidden(_ message: String = "forbidden") -> Rejection { .init(.forbidden, message) }

    /// `status code: message`.
    public var description: String { "\(status.code) \(message)" }

    /// The response this rejection produces.
    package var response: Response {
        if let answer { return answer }
        var response = Response.error(status, message)
        response.headers.append(contentsOf: headers)
        return response
    }
}
