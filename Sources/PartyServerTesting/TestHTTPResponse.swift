/// A complete HTTP response received by ``TestHTTPClient``.
public struct TestHTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The reason phrase.
    public var reason: String
    /// The header fields in wire order.
    public var headers: [(String, String)]
    /// The (de-chunked) body bytes.
    public var body: [UInt8]

    /// Creates a response from its parts.
    public init(status: Int, reason: String = "", headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (lossily).
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }

    /// The first value of the header called `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0.lowercased() == lowered }?.1
    }

    /// Every value of the header called `name` (case-insensitive), in order.
    public func headers(named name: String) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.0.lowercased() == lowered }.map(\.1)
    }
}
