import NIOCore

/// An HTTP/1.x response head parsed by hand from raw bytes (used for the WebSocket upgrade).
struct RawHTTPResponseHead: Sendable {
    /// The status code, e.g. 101.
    var status: Int
    /// The reason phrase, e.g. "Switching Protocols".
    var reason: String
    /// Header fields in wire order.
    var headers: [(String, String)]

    /// The largest response head accepted before giving up.
    static let maximumSize = 64 * 1024

    /// The first value of the header called `name` (case-insensitive), if any.
    func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0.lowercased() == lowered }?.1
    }

    /// Whether the comma-separated header `name` contains `token` (case-insensitive).
    func headerContainsToken(_ name: String, _ token: String) -> Bool {
        let lowered = name.lowercased()
        let wanted = token.lowercased()
        return headers.contains { header in
            header.0.lowercased() == lowered
                && header.1.split(separator: ",").contains { $0.trimmingSpaces().lowercased() == wanted }
        }
    }

    /// Parses a complete head from the front of `buffer`, consuming it; returns nil if more bytes are needed.
    static func parse(from buffer: inout ByteBuffer) throws(TestWebSocketError) -> RawHTTPResponseHead? {
        let view = buffer.readableBytesView
        guard let end = Self.endOfHead(in: view) else {
            if view.count > maximumSize { throw .invalidResponse("response head exceeds \(maximumSize) bytes") }
            return nil
        }
        let headBytes = Array(view[view.startIndex..<end.headEnd])
        buffer.moveReaderIndex(forwardBy: end.consumedEnd - view.startIndex)

        let text = String(decoding: headBytes, as: UTF8.self)
        // "\r\n" is a single Character in Swift, so split on either line ending.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" })
        guard !lines.isEmpty else { throw .invalidResponse("empty response head") }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw .invalidResponse("malformed status line '\(statusLine)'")
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw .invalidResponse("malformed header line '\(line)'")
            }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].trimmingSpaces())))
        }
        return RawHTTPResponseHead(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers)
    }

    /// Finds the blank line ending a head: returns the view indices where the head text and the blank line end.
    private static func endOfHead(in view: ByteBufferView) -> (headEnd: Int, consumedEnd: Int)? {
        var index = view.startIndex
        while index < view.endIndex {
            if view[index] == UInt8(ascii: "\n") {
                let next = view.index(after: index)
                if next < view.endIndex, view[next] == UInt8(ascii: "\n") {
                    return (index, next + 1)
                }
                if next + 1 < view.endIndex, view[next] == UInt8(ascii: "\r"), view[next + 1] == UInt8(ascii: "\n") {
                    return (index, next + 2)
                }
            }
            index = view.index(after: index)
        }
        return nil
    }

    /// Decodes a complete chunked body; returns nil while the terminating chunk has not arrived yet.
    static func decodeChunked(_ bytes: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let sizeLine = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
            let sizeText = sizeLine.split(separator: ";").first.map { $0.trimmingSpaces() } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return nil }
            index = lineEnd + 1
            if size == 0 { return output }
            guard bytes.count >= index + size else { return nil }
            output.append(contentsOf: bytes[index..<index + size])
            index += size
            // Skip the CRLF after the chunk data.
            guard let crlfEnd = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            index = crlfEnd + 1
        }
    }
}

extension Substring {
    /// Returns the substring without leading and trailing spaces, tabs and carriage returns.
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
