import NIOCore
@testable import PartyServer
import Testing

extension UpgradeRequestHead.Parse {
    /// Whether the head goes to the general HTTP decoder.
    var isOther: Bool {
        if case .other = self { true } else { false }
    }

    /// Whether more bytes are awaited.
    var isIncomplete: Bool {
        if case .incomplete = self { true } else { false }
    }

    /// The head, when it is a plain WebSocket upgrade.
    var upgrade: UpgradeRequestHead? {
        if case .upgrade(let head) = self { head } else { nil }
    }
}

/// The opening handshake's own reading of a request head: it takes only plain, well-formed
/// WebSocket upgrades and leaves everything else, at once, to the general HTTP decoder.
@Suite("Upgrade request heads")
struct UpgradeRequestHeadTests {
    static let lines = [
        "GET /parties/chat/room-1?_pk=a%20b HTTP/1.1", "Host: 127.0.0.1:8080", "Upgrade: websocket", "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
    ]

    static func parse(_ lines: [String], trailing: String = "\r\n", maxSize: Int = 8192) -> UpgradeRequestHead.Parse {
        UpgradeRequestHead.parse(ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n" + trailing), maxSize: maxSize)
    }

    @Test("a plain upgrade gives its target and every field, in order, with surrounding spaces trimmed")
    func plainUpgrade() throws {
        var lines = Self.lines
        lines.append("sec-websocket-extensions:\tpermessage-deflate; client_max_window_bits  ")
        lines.append("X-Empty:")
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n"
        let head = try #require(UpgradeRequestHead.parse(ByteBuffer(string: text + "frame bytes"), maxSize: 8192).upgrade)
        #expect(head.target == "/parties/chat/room-1?_pk=a%20b")
        #expect(head.length == text.utf8.count)
        #expect(head.fields.map(\.name.rawName) == ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "sec-websocket-extensions", "X-Empty"])
        #expect(head.fields[.secWebSocketExtensions] == "permessage-deflate; client_max_window_bits")
        #expect(head.fields[.connection] == "keep-alive, Upgrade")
        #expect(head.fields[HTTPField.Name("X-Empty")!] == "")
    }

    @Test("an unfinished head waits while it could still become an upgrade")
    func incomplete() {
        let whole = Self.lines.joined(separator: "\r\n") + "\r\n\r\n"
        for cut in [1, 4, 5, 30, whole.utf8.count - 1] {
            let part = String(whole.utf8.prefix(cut))!
            #expect(UpgradeRequestHead.parse(ByteBuffer(string: part), maxSize: 8192).isIncomplete, "\(cut) bytes")
        }
    }

    /// Heads that are not plain upgrades: a name, the lines, what follows them.
    static let otherHeads: [(String, [String], String)] = {
        let lines = Self.lines
        let rest = Array(lines.dropFirst())
        func replacing(_ prefix: String, with line: String) -> [String] {
            lines.map { $0.hasPrefix(prefix) ? line : $0 }
        }
        var heads: [(String, [String], String)] = []
        heads.append(("another method", ["POST /parties/chat/r HTTP/1.1"] + rest, "\r\n"))
        heads.append(("HTTP/1.0", ["GET /parties/chat/r HTTP/1.0"] + rest, "\r\n"))
        heads.append(("an absolute target", ["GET http://x/parties/chat/r HTTP/1.1"] + rest, "\r\n"))
        heads.append(("two spaces in the request line", ["GET  /parties/chat/r HTTP/1.1"] + rest, "\r\n"))
        heads.append(("a folded line", lines + [" continued"], "\r\n"))
        heads.append(("a space before the colon", lines + ["X-Bad : 1"], "\r\n"))
        heads.append(("a value outside ASCII", lines + ["X-Name: caf\u{e9}"], "\r\n"))
        heads.append(("a control character", lines + ["X-Name: a\u{01}b"], "\r\n"))
        heads.append(("a bare LF", lines + ["X-Name: a\nb"], "\r\n"))
        heads.append(("a body length", lines + ["Content-Length: 0"], "\r\n"))
        heads.append(("chunked", lines + ["Transfer-Encoding: chunked"], "\r\n"))
        heads.append(("no Upgrade", lines.filter { !$0.hasPrefix("Upgrade") }, "\r\n"))
        heads.append(("another protocol", replacing("Upgrade", with: "Upgrade: h2c"), "\r\n"))
        heads.append(("no key", lines.filter { !$0.hasPrefix("Sec-WebSocket-Key") }, "\r\n"))
        heads.append(("version 8", replacing("Sec-WebSocket-Version", with: "Sec-WebSocket-Version: 8"), "\r\n"))
        heads.append(("no Connection: Upgrade", replacing("Connection", with: "Connection: keep-alive"), "\r\n"))
        heads.append(("two keys", lines + ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="], "\r\n"))
        heads.append(("a TLS hello on the plain port", ["\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}"], ""))
        heads.append(("a request of another method, unfinished", ["PUT /x HT"], ""))
        return heads
    }()

    @Test("anything else goes to the HTTP decoder at once", arguments: otherHeads)
    func other(_ name: String, lines: [String], trailing: String) {
        #expect(Self.parse(lines, trailing: trailing).isOther, "\(name)")
    }

    @Test("a head over the size limit goes to the HTTP decoder, which answers 431")
    func overLimit() {
        let whole = Self.lines.joined(separator: "\r\n") + "\r\n\r\n"
        #expect(Self.parse(Self.lines, maxSize: whole.utf8.count).upgrade != nil)
        #expect(Self.parse(Self.lines, maxSize: whole.utf8.count - 1).isOther)
        // Unfinished and already at the limit: no point waiting.
        #expect(UpgradeRequestHead.parse(ByteBuffer(string: String(repeating: "GET /", count: 40)), maxSize: 200).isOther)
    }
}
