/// Checks headers before they go into a request, so a value cannot inject another header.
enum HeaderValidation {
    /// Headers PartySocket writes itself for the WebSocket handshake.
    static let reservedForWebSocket: Set<String> = [
        "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-accept",
        "sec-websocket-extensions", "content-length", "transfer-encoding",
    ]
    /// Headers PartySocket writes itself for `fetch`.
    static let reservedForHTTP: Set<String> = ["connection", "content-length", "transfer-encoding"]

    /// `pairs` if every name is an HTTP token, no value holds CR, LF or NUL, and none is reserved.
    static func validated(_ pairs: [(String, String)], forWebSocket: Bool) throws(PartySocketError) -> [(String, String)] {
        let reserved = forWebSocket ? reservedForWebSocket : reservedForHTTP
        for (name, value) in pairs {
            guard isToken(name) else {
                throw .invalidHeader(name, "is not a valid header name; use letters, digits and !#$%&'*+-.^_`|~")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw .invalidHeader(name, "has a value with CR, LF or NUL; remove them")
            }
            guard !reserved.contains(name.lowercased()) else {
                throw .invalidHeader(name, "is set by PartySocket itself; remove it from the headers")
            }
        }
        return pairs
    }

    /// Whether `text` is a non-empty HTTP token (RFC 9110), as header names and methods must be.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}
