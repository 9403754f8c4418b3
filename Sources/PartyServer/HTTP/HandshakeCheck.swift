import Foundation
import HTTPTypes
import NIOHTTP1

/// The rules of a WebSocket opening handshake (RFC 6455 §4.2.1) that NIO's upgrader does not
/// enforce: it upgrades a POST, an HTTP/1.0 request, a request without `Connection: Upgrade` and
/// any `Sec-WebSocket-Key`. A request that breaks one is refused with 400 (426 for the version).
enum HandshakeCheck {
    /// Why the upgrade request is refused, or `nil` if the handshake is well formed.
    /// `isHTTP11OrLater` is `nil` when the HTTP version is not known (already checked).
    static func refusal(method: String, isHTTP11OrLater: Bool?, headers: HTTPFields) -> Rejection? {
        let versions = headers[values: .secWebSocketVersion]
        guard versions.count == 1, versions[0] == "13" else {
            return Rejection(.upgradeRequired, "Sec-WebSocket-Version must be 13", headers: [.secWebSocketVersion: "13"])
        }
        guard method == "GET" else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: the method must be GET, not \(method.prefix(32))")
        }
        guard isHTTP11OrLater ?? true else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: HTTP/1.1 or later is required")
        }
        let connectionTokens = headers[values: .connection].flatMap { $0.split(separator: ",") }
        guard connectionTokens.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }) else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: Connection: Upgrade is required")
        }
        let keys = headers[values: .secWebSocketKey]
        guard keys.count == 1, isValidKey(keys[0]) else {
            return Rejection(.badRequest, "malformed WebSocket upgrade: one Sec-WebSocket-Key of 16 base64-encoded bytes is required")
        }
        return nil
    }

    /// Why the upgrade request `head` is refused, or `nil` if the handshake is well formed.
    static func refusal(for head: HTTPRequestHead) -> Rejection? {
        let version = head.version
        return refusal(
            method: head.method.rawValue,
            isHTTP11OrLater: version.major > 1 || (version.major == 1 && version.minor >= 1),
            headers: HTTPFields(head.headers)
        )
    }

    /// Whether `key` is 16 bytes in base64: 22 base64 characters and `==`.
    static func isValidKey(_ key: String) -> Bool {
        let trimmed = key.trimmingCharacters(in: .whitespaces)
        return trimmed.utf8.count == 24 && Data(base64Encoded: trimmed)?.count == 16
    }
}
