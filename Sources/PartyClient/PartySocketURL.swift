/// Builds a socket's URLs the way the JavaScript `partysocket` does, without any I/O:
///
/// - WebSocket: `ws(s)://host/{prefix}/{party}/{room}[/path]?_pk={id}&{query}`
/// - HTTP (for `fetch`): `http(s)://host/{prefix}/{party}/{room}[/path][?{query}]`
///
/// The scheme is ``scheme`` if given, else `ws`/`http` for a local or private host (see
/// ``PartyHost/isLocal``) and `wss`/`https` otherwise. Party, room and path segments and the
/// query are percent-encoded (everything except `A–Z a–z 0–9 - . _ ~`); the path keeps its `/`.
public struct PartySocketURL: Sendable, Hashable {
    /// The host, with its port if one was given.
    public let host: PartyHost
    /// The route prefix, without leading or trailing `/`.
    public let prefix: String
    /// The party (the server's route name).
    public let party: String
    /// The room name.
    public let room: String
    /// The extra path after the room, without leading `/`, or nil.
    public let path: String?
    /// The scheme: the one given, or the one ``PartyHost/isLocal`` implies.
    public let scheme: PartySocketScheme
    /// The connection id sent as `_pk`.
    public let id: String

    /// Validates and normalises the parts of a URL; throws ``PartySocketError/Code/invalidHost``
    /// or ``PartySocketError/Code/invalidOptions`` (empty room, party or id).
    public init(
        host: String,
        room: String,
        party: String = "main",
        prefix: String = "parties",
        path: String? = nil,
        scheme: PartySocketScheme? = nil,
        id: String
    ) throws(PartySocketError) {
        let host = try PartyHost(host)
        guard !room.isEmpty else { throw .invalidOptions("room is empty; give the room's name, e.g. \"lobby\"") }
        guard !party.isEmpty else { throw .invalidOptions("party is empty; give the server's route name, e.g. \"chat\" (default \"main\")") }
        guard !id.isEmpty else { throw .invalidOptions("id is empty; leave it out for a random UUID, or give a stable id") }
        self.host = host
        self.room = room
        self.party = party
        self.id = id
        self.prefix = Self.trimSlashes(prefix)
        let path = path.map(Self.trimSlashes)
        self.path = path?.isEmpty == false ? path : nil
        self.scheme = scheme ?? (host.isLocal ? .ws : .wss)
    }

    /// `/{prefix}/{party}/{room}[/path]`, percent-encoded; `path` replaces ``path`` if given.
    public func roomPath(path: String? = nil) -> String {
        var result = ""
        for segment in prefix.split(separator: "/") {
            result += "/" + Self.percentEncode(segment)
        }
        result += "/" + Self.percentEncode(party) + "/" + Self.percentEncode(room)
        let extra = path.map(Self.trimSlashes) ?? self.path ?? ""
        for segment in extra.split(separator: "/", omittingEmptySubsequences: false) where !extra.isEmpty {
            result += "/" + Self.percentEncode(segment)
        }
        return result
    }

    /// The WebSocket request target: ``roomPath(path:)`` with `?_pk={id}&{query}`.
    public func webSocketTarget(query: [(String, String)] = []) -> String {
        roomPath() + "?" + Self.encodeQuery([("_pk", id)] + query)
    }

    /// The WebSocket URL, e.g. `wss://example.com/parties/main/lobby?_pk=…&token=…`.
    public func webSocketURL(query: [(String, String)] = []) -> String {
        "\(scheme.rawValue)://\(host.authority)\(webSocketTarget(query: query))"
    }

    /// The HTTP request target for `fetch`: ``roomPath(path:)`` with `?{query}` if there is a query.
    public func httpTarget(path: String? = nil, query: [(String, String)] = []) -> String {
        roomPath(path: path) + (query.isEmpty ? "" : "?" + Self.encodeQuery(query))
    }

    /// The HTTP URL for `fetch`, e.g. `https://example.com/parties/main/lobby/info?token=…`.
    public func httpURL(path: String? = nil, query: [(String, String)] = []) -> String {
        "\(scheme.httpScheme)://\(host.authority)\(httpTarget(path: path, query: query))"
    }

    /// The port to connect to: the given one, else 80 or 443.
    public var port: Int {
        host.port ?? (scheme.isSecure ? 443 : 80)
    }

    /// `name=value&…`, each percent-encoded.
    static func encodeQuery(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// `text` with every byte outside `A–Z a–z 0–9 - . _ ~` written as `%XX`.
    static func percentEncode(_ text: some StringProtocol) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return result
    }

    private static func trimSlashes(_ text: String) -> String {
        var text = Substring(text)
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
