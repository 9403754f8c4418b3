import Foundation

/// What the server answered to raw HTTP bytes.
struct RawHTTPAnswer: Sendable, CustomStringConvertible {
    /// The status code, or `nil` if no response head arrived.
    var status: Int?
    /// The whole response text.
    var text: String
    /// Whether the server closed the connection after answering.
    var closed: Bool

    /// The first value of header `name` (case-insensitive).
    func header(_ name: String) -> String? {
        let prefix = name.lowercased() + ":"
        return text.split(separator: "\r\n").first { $0.lowercased().hasPrefix(prefix) }.map {
            String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
    }

    var description: String { (closed ? "" : "(still open) ") + (text.count > 300 ? "\(text.prefix(300))…" : text) }

    /// Writes `bytes` on a new connection to `port` and waits (bounded) until the server closes it.
    static func exchange(port: Int, _ bytes: [UInt8]) async throws -> (answer: RawHTTPAnswer, remote: String) {
        let connection = try await RawConnection.connect(port: port)
        defer { connection.close() }
        let remote = "127.0.0.1:\(connection.localPort ?? 0)"
        try await connection.write(bytes: bytes)
        try? await waitUntil(timeout: .seconds(10), "the server closed the connection") { connection.isClosed }
        let text = connection.text
        var status: Int?
        if text.hasPrefix("HTTP/1.1 "), let code = Int(text.dropFirst(9).prefix(3)) { status = code }
        return (RawHTTPAnswer(status: status, text: text, closed: connection.isClosed), remote)
    }

    /// Sends `request` (text) and waits for the answer.
    static func exchange(port: Int, _ request: String) async throws -> RawHTTPAnswer {
        try await exchange(port: port, Array(request.utf8)).answer
    }
}
