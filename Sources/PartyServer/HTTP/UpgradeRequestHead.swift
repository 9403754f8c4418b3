import HTTPTypes
import NIOCore

/// The head of a connection's first request when it is a plain, well-formed WebSocket upgrade,
/// read straight from the bytes without the general HTTP decoder: `GET target HTTP/1.1`, header
/// lines of a token, a colon and visible ASCII, no body, and every rule of `HandshakeCheck`.
/// Anything else (another method or version, a body, folded lines, bytes outside ASCII, a head
/// over the size limit) is `.other`, and the connection gets the full HTTP pipeline, which
/// answers it as before.
package struct UpgradeRequestHead {
    /// The request target (path and query).
    package let target: String
    /// Every header field, in order.
    package let fields: HTTPFields
    /// The head's length in bytes, its final empty line included.
    package let length: Int

    /// What the bytes read so far hold.
    package enum Parse {
        /// Not all of the head yet, and not over the limit.
        case incomplete
        /// A well-formed WebSocket upgrade.
        case upgrade(UpgradeRequestHead)
        /// Anything else: the general HTTP decoder must read it.
        case other
    }

    /// Reads the head at the start of `buffer`, of at most `maxSize` bytes.
    package static func parse(_ buffer: ByteBuffer, maxSize: Int) -> Parse {
        buffer.withUnsafeReadableBytes { bytes in
            guard let end = headEnd(bytes, limit: maxSize) else {
                return bytes.count < maxSize && couldStartUpgrade(bytes) ? .incomplete : .other
            }
            guard let head = parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<end])) else { return .other }
            return .upgrade(head)
        }
    }

    /// Whether an unfinished head could still become an upgrade: it starts as `GET /` does and
    /// holds only bytes a head may hold. Bytes that cannot (another method, TLS on the plain
    /// port) go to the HTTP decoder at once, which answers them.
    private static func couldStartUpgrade(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard zip(bytes, "GET /".utf8).allSatisfy({ $0 == $1 }) else { return false }
        return bytes.allSatisfy { isVisible($0) || isSpace($0) || $0 == cr || $0 == lf }
    }

    /// The offset just past the first `CRLF CRLF` within `limit` bytes, if any.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer, limit: Int) -> Int? {
        let count = min(bytes.count, limit)
        guard count >= 4 else { return nil }
        var index = 3
        while index < count {
            if bytes[index] == lf, bytes[index - 1] == cr, bytes[index - 2] == lf, bytes[index - 3] == cr { return index + 1 }
            index += 1
        }
        return nil
    }

    private static func parseHead(_ bytes: UnsafeRawBufferPointer) -> UpgradeRequestHead? {
        let prefix = "GET ".utf8
        guard bytes.count > prefix.count, zip(bytes, prefix).allSatisfy({ $0 == $1 }) else { return nil }
        // The request line: GET, one space, the target (visible ASCII, from "/"), one space, HTTP/1.1.
        var index = prefix.count
        let targetStart = index
        while index < bytes.count, isVisible(bytes[index]) { index += 1 }
        let version = " HTTP/1.1\r\n".utf8
        guard index > targetStart, bytes[targetStart] == UInt8(ascii: "/"), index + version.count <= bytes.count,
            zip(bytes[index...], version).allSatisfy({ $0 == $1 })
        else { return nil }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        index += version.count

        var fields = HTTPFields()
        // Each line: NAME ":" OWS VALUE OWS CRLF, until the empty line.
        while index + 2 <= bytes.count, !(bytes[index] == cr && bytes[index + 1] == lf) {
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: ":") {
                guard isTokenByte(bytes[index]) else { return nil }
                index += 1
            }
            guard index > nameStart, index < bytes.count else { return nil }
            let nameEnd = index
            index += 1
            var valueStart = index
            while index < bytes.count, bytes[index] != cr {
                guard isVisible(bytes[index]) || isSpace(bytes[index]) else { return nil }
                index += 1
            }
            guard index + 1 < bytes.count, bytes[index + 1] == lf else { return nil }
            var valueEnd = index
            while valueStart < valueEnd, isSpace(bytes[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart, isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
            index += 2
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            guard let fieldName = HTTPField.Name(name) else { return nil }
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            fields.append(HTTPField(name: fieldName, value: value))
        }
        guard index + 2 == bytes.count else { return nil }
        // A body (there should be none) is left to the general decoder, as is anything that is not
        // a well-formed WebSocket handshake.
        guard fields[.contentLength] == nil, fields[.transferEncoding] == nil,
            fields[values: .upgrade].contains(where: { HandshakeCheck.hasToken("websocket", in: $0) }),
            HandshakeCheck.refusal(method: "GET", isHTTP11OrLater: true, headers: fields) == nil
        else { return nil }
        return UpgradeRequestHead(target: target, fields: fields, length: bytes.count)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// A visible ASCII character (no space, no control, nothing above 0x7E).
    private static func isVisible(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// A character of an HTTP token (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
