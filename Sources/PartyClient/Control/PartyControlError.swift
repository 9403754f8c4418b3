import Foundation

/// Errors of ``PartyControl``; each says what went wrong and what to do.
public enum PartyControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with a status other than 2xx.
    case http(PartyControl.HTTPError)
    /// The server could not be reached, or the connection broke before the answer was complete.
    case unreachable(url: String, detail: String)
    /// The answer is not what the control API sends (not JSON, or missing fields).
    case invalidResponse(url: String, detail: String)
    /// The client's configuration (URL, API key, environment) is not usable.
    case invalidConfiguration(String)

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch self {
        case .http(let error): error.description
        case .unreachable(let url, let detail): "could not reach \(url): \(detail); check the server runs and the URL is right"
        case .invalidResponse(let url, let detail): "\(url) did not answer as the control API does: \(detail); is the URL the server's base URL?"
        case .invalidConfiguration(let detail): detail
        }
    }
}

extension PartyControl {
    /// A non-2xx answer of the control API: its status, its body, and the error `code` and
    /// message the body carries (`{"error", "status", "code"}`), when it does.
    public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The HTTP status code.
        public var status: Int
        /// The body as text.
        public var body: String
        /// The control API's error code (`key-unheld`, `unknown-room`, …), if the body has one.
        public var code: String?
        /// The control API's error message, if the body has one.
        public var message: String?

        /// An error for `status` and `body`; `code` and `message` are read from the body.
        public init(status: Int, body: String) {
            self.status = status
            self.body = body
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
            code = object?["code"] as? String
            message = object?["error"] as? String
        }

        /// The status, the code and the message.
        public var description: String {
            "the control API answered \(status)\(code.map { " \($0)" } ?? ""): \(message ?? body)"
        }
    }
}
