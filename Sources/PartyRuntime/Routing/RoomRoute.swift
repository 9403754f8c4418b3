/// The result of matching a request path against `/{prefix}/{server}/{name}[/rest]`.
public enum RoomRoute: Sendable, Equatable {
    /// The path is not under the prefix.
    case notParty
    /// A room address: server route name (lowercased), validated room name, and the rest of the
    /// path (`""` or `/more/path`, still percent-encoded).
    case room(server: String, name: String, rest: String)
    /// Under the prefix, but the server or name is missing or invalid; answered with 400.
    case invalid(String)

    /// Longest room name, in characters after percent-decoding.
    public static let maxNameLength = 128

    /// Matches `path` (no query string, percent-encoded as received).
    public static func match(path: String, prefix: String) -> RoomRoute {
        var remainder = Substring(path)
        guard remainder.first == "/" else { return .notParty }
        remainder = remainder.dropFirst()
        guard remainder.hasPrefix(prefix) else { return .notParty }
        remainder = remainder.dropFirst(prefix.count)
        if remainder.isEmpty { return .invalid("missing server and room name: use /\(prefix)/SERVER/NAME") }
        guard remainder.first == "/" else { return .notParty }
        remainder = remainder.dropFirst()

        let serverEnd = remainder.firstIndex(of: "/") ?? remainder.endIndex
        let rawServer = remainder[..<serverEnd]
        guard !rawServer.isEmpty else { return .invalid("missing server name: use /\(prefix)/SERVER/NAME") }
        guard let server = percentDecoded(rawServer) else { return .invalid("server name is not valid percent-encoded UTF-8") }
        remainder = remainder[serverEnd...]
        guard remainder.first == "/" else { return .invalid("missing room name: use /\(prefix)/\(server)/NAME") }
        remainder = remainder.dropFirst()

        let nameEnd = remainder.firstIndex(of: "/") ?? remainder.endIndex
        let rawName = remainder[..<nameEnd]
        let rest = String(remainder[nameEnd...])
        switch validateName(rawName) {
        case .success(let name):
            return .room(server: server.lowercased(), name: name, rest: rest)
        case .failure(let reason):
            return .invalid(reason.message)
        }
    }

    /// Decodes and checks a room name: 1–128 characters, no `/`, no control characters.
    public static func validateName(_ raw: Substring) -> Result<String, NameError> {
        guard !raw.isEmpty else { return .failure(NameError("room name is empty")) }
        guard raw.utf8.count <= maxNameLength * 3 * 4 else {
            return .failure(NameError("room name is longer than \(maxNameLength) characters"))
        }
        guard let name = percentDecoded(raw) else {
            return .failure(NameError("room name is not valid percent-encoded UTF-8"))
        }
        if let error = check(decodedName: name) { return .failure(error) }
        return .success(name)
    }

    /// Checks a room name that is already percent-decoded (as a room stub is given it): 1–128
    /// characters, no `/`, no control characters. Returns why it is refused, or `nil`.
    public static func check(decodedName name: String) -> NameError? {
        guard !name.isEmpty else { return NameError("room name is empty") }
        guard name.count <= maxNameLength else { return NameError("room name is longer than \(maxNameLength) characters") }
        for scalar in name.unicodeScalars {
            if scalar == "/" { return NameError("room name may not contain '/'") }
            if scalar.properties.generalCategory == .control { return NameError("room name may not contain control characters") }
        }
        return nil
    }

    /// Why a room name was refused.
    public struct NameError: Error, Sendable, Equatable {
        /// A sentence for the 400 response.
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// Percent-decodes `text` strictly: `nil` on a malformed escape or invalid UTF-8.
    public static func percentDecoded(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
