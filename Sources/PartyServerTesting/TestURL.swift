/// A parsed `scheme://host:port/path?query` URL, as accepted by the test clients.
struct TestURL: Sendable, Equatable {
    /// The lower-cased scheme, e.g. `ws` or `http`.
    var scheme: String
    /// The host, without IPv6 brackets.
    var host: String
    /// The port (explicit, or 80 when absent).
    var port: Int
    /// The request target: path plus query string, always starting with `/`.
    var path: String

    /// Parses `string`, accepting only the given (lower-case) schemes.
    static func parse(_ string: String, schemes: Set<String>) throws(TestWebSocketError) -> TestURL {
        guard let separator = string.firstRange(of: "://") else {
            throw .invalidURL("missing scheme in \(string)")
        }
        let scheme = string[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            throw .invalidURL("unsupported scheme '\(scheme)' in \(string) (supported: \(schemes.sorted()))")
        }
        let rest = string[separator.upperBound...]
        let delimiters: Set<Character> = ["/", "?", "#"]
        let authorityEnd = rest.firstIndex(where: { delimiters.contains($0) }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty {
            path = "/"
        } else if path.hasPrefix("?") {
            path = "/" + path
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unterminated IPv6 host in \(string)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.hasPrefix(":") { portText = afterHost.dropFirst() } else if !afterHost.isEmpty {
                throw .invalidURL("unexpected characters after host in \(string)")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL("missing host in \(string)") }
        var port = 80
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw .invalidURL("invalid port '\(portText)' in \(string)")
            }
            port = parsed
        }
        return TestURL(scheme: scheme, host: String(host), port: port, path: path)
    }

    /// The value for a `Host` header naming `host` and `port`.
    static func hostHeader(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
