import NIOCore
import PartyFuzzing
import PartyServer

/// libFuzzer's entry point for the opening handshake's reader of request heads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzHandshake.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes `UpgradeRequestHead.parse` with the input as a whole head, and as a target, a header
/// line and a header value inside a well-formed upgrade. Invariants: a head it takes ends at the
/// first blank line, within the size limit, starts `GET /`, keeps only visible ASCII in its
/// target, and passes every `HandshakeCheck` rule; what follows the head does not change the
/// reading; an unfinished head is awaited only while it is under the limit and starts as an
/// upgrade's; a head cut anywhere before its end is never taken.
@main
enum FuzzHandshake {
    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static let maxSize = 1024

    static func check(_ bytes: [UInt8]) {
        checkHead(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = [
            "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        let base = lines.joined(separator: "\r\n")
        checkHead(Array("GET /parties/chat/\(text) HTTP/1.1\r\n\(base)\r\n\r\n".utf8))
        checkHead(Array("GET /parties/chat/r HTTP/1.1\r\n\(base)\r\n\(text)\r\n\r\n".utf8))
        checkHead(Array("GET /parties/chat/r HTTP/1.1\r\n\(base)\r\nX-Fuzz: \(text)\r\n\r\n".utf8))
    }

    private static func checkHead(_ bytes: [UInt8]) {
        let parsed = UpgradeRequestHead.parse(ByteBuffer(bytes: bytes), maxSize: maxSize)
        let blankLine = firstBlankLineEnd(bytes)
        switch parsed {
        case .incomplete:
            FuzzDriver.require(blankLine == nil || blankLine! > maxSize, "awaited more after a blank line within the limit")
            FuzzDriver.require(bytes.count < maxSize, "awaited more at \(bytes.count) bytes")
            FuzzDriver.require(bytes.starts(with: Array("GET /".utf8).prefix(bytes.count)), "awaited a head that is not a GET")
        case .other:
            break
        case .upgrade(let head):
            FuzzDriver.require(head.length == blankLine, "head of \(head.length) bytes, blank line at \(blankLine.map(String.init) ?? "none")")
            FuzzDriver.require(head.length <= maxSize, "took a head of \(head.length) bytes")
            FuzzDriver.require(bytes.starts(with: Array("GET /".utf8)), "took a head that is not GET /")
            FuzzDriver.require(head.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target \(head.target.debugDescription)")
            FuzzDriver.require(
                HandshakeCheck.refusal(method: "GET", isHTTP11OrLater: true, headers: head.fields) == nil,
                "took a handshake HandshakeCheck refuses"
            )
            // What follows the head (early frames) does not change it; the head cut short is not taken.
            let longer = UpgradeRequestHead.parse(ByteBuffer(bytes: bytes + [0x81, 0x00, 0x0D, 0x0A, 0x0D, 0x0A]), maxSize: maxSize)
            if case .upgrade(let again) = longer {
                FuzzDriver.require(again.length == head.length && again.target == head.target && again.fields == head.fields, "trailing bytes changed the head")
            } else {
                FuzzDriver.require(false, "trailing bytes changed the reading to \(longer)")
            }
            let cut = UpgradeRequestHead.parse(ByteBuffer(bytes: Array(bytes.prefix(head.length - 1))), maxSize: maxSize)
            if case .upgrade = cut { FuzzDriver.require(false, "took a head cut one byte short") }
        }
    }

    /// The offset just past the first CRLF CRLF, if any.
    private static func firstBlankLineEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }
}
