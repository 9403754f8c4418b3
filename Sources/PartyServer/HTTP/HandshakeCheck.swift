import HTTPTypes
import NIOHTTP1

/// The rules of a WebSocket opening handshake (RFC 6455 §4.2.1) that NIO's upgrader does not
/// enforce: it upgrades a POST, an HTTP/1.0 request, a request without `Connection: Upgrade` and
/// any `Sec-WebSocket-Key`. A request that breaks one is refused with 400 (426 for the version).
package enum HandshakeCheck {
    /// Why the upgrade request is refused, or `nil` if the handshake is well formed.
    /// `isHTTP11OrLater` is `nil` when the HTTP version is not known (already checked).
    package static func refusal(method: String, isHTTP11OrLater: Bool?, headers: HTTPFields) -> Rejection? {
        refusal(
            method: method,
            isHTTP11OrLater: isHTTP11OrLater,
            versions: headers[values: .secWebSocketVersion],
            connection: headers[values: .connection],
            keys: headers[values: .secWebSocketKey]
        )
    }

    /// Why the upgrade request `head` is refused, or `nil` if the handshake is well formed; reads
    /// only the three fields it checks.
    static func refusal(for head: HTTPRequestHead) -> Rejection? {
        let version = head.version
        return refusal(
            method: head.method.rawValue,
            isHTTP11OrLater: version.major > 1 || (version.major == 1 && version.minor >= 1),
            versions: head.headers["Sec-WebSocket-Version"],
            connection: head.headers["Connection"],
            keys: head.headers["Sec-WebSocket-Key"]
        )
    }

    private static func refusal(method: String, isHTTP11OrLater: Bool?, versions: [String], connection: [String], keys: [String]) -> Rejection? {
        guard versions.count == 1, versions[0] == "13" else {
            return Rejection(.upgradeRequired, "Sec-WebSocket-Version must be 13", headers: [.secWebSocketVersion: "13"])
        }
        guard method == "GET" else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: the method must be GET, not \(method.prefix(32))")
        }
        guard isHTTP11OrLater ?? true else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: HTTP/1.1 or later is required")
        }
        guard connection.contains(where: hasUpgradeToken) else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: Connection: Upgrade is required")
        }
        guard keys.count == 1, isValidKey(keys[0]) else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: one Sec-WebSocket-Key of 16 base64-encoded bytes is required")
        }
        return nil
    }

    /// Whether a `Connection` field value lists the `upgrade` token (any case, among
    /// comma-separated tokens with optional whitespace).
    static func hasUpgradeToken(_ value: String) -> Bool {
        hasToken("upgrade", in: value)
    }

    /// Whether the comma-separated field `value` lists `token` (lowercase ASCII letters), in any
    /// case and with optional whitespace around it.
    static func hasToken(_ token: StaticString, in value: String) -> Bool {
        let wanted = UnsafeBufferPointer(start: token.utf8Start, count: token.utf8CodeUnitCount)
        return value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true).contains { field in
            let trimmed = field.drop { isSpace($0) }.reversed().drop { isSpace($0) }
            return trimmed.count == wanted.count && zip(trimmed.reversed(), wanted).allSatisfy { $0 | 0x20 == $1 }
        }
    }

    /// Whether `key` is 16 bytes in base64: 22 base64 characters and `==` (spaces around allowed).
    static func isValidKey(_ key: String) -> Bool {
        let bytes = key.utf8.drop { isSpace($0) }.reversed().drop { isSpace($0) }.reversed()
        guard bytes.count == 24 else { return false }
        var index = 0
        for byte in bytes {
            let valid = index < 22 ? isBase64Digit(byte) : byte == UInt8(ascii: "=")
            guard valid else { return false }
            index += 1
        }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func isBase64Digit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}
