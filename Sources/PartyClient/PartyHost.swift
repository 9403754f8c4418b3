import NIOCore

/// A host as given in ``PartySocketOptions/host``: a name or an IP address with an optional port,
/// e.g. `example.com`, `localhost:1999`, `127.0.0.1:1999`, `[::1]:1999` or `::1`.
///
/// A leading `ws://`, `wss://`, `http://` or `https://` and a trailing `/` are ignored, as the
/// JavaScript `partysocket` does.
public struct PartyHost: Sendable, Hashable {
    /// The host name or IP address, without brackets.
    public let name: String
    /// The port, if one was given.
    public let port: Int?

    /// Parses `text`; throws ``PartySocketError/Code/invalidHost`` if it is not a host with an
    /// optional port.
    public init(_ text: String) throws(PartySocketError) {
        var rest = text.trimmingWhitespace()
        for scheme in ["wss://", "ws://", "https://", "http://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            break
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }

        var name: Substring
        var portText: Substring?
        let bracketed = rest.hasPrefix("[")
        if bracketed {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidHost(text) }
            name = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost(text) }
                portText = after.dropFirst()
            }
        } else if rest.count(where: { $0 == ":" }) == 1, let colon = rest.firstIndex(of: ":") {
            name = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            name = rest  // a name, an IPv4 address, or an IPv6 address without brackets or port
        }

        let forbidden: Set<Character> = ["/", "?", "#", "@", "[", "]", "%", "\\"]
        guard !name.isEmpty, !name.contains(where: { forbidden.contains($0) || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true })
        else { throw .invalidHost(text) }
        if bracketed || name.contains(":"), Self.normalizedIPv6(String(name)) == nil { throw .invalidHost(text) }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port), portText.allSatisfy(\.isASCII) else { throw .invalidHost(text) }
            self.port = port
        } else {
            self.port = nil
        }
        self.name = String(name)
    }

    /// `name[:port]` as it goes in a URL and in the `Host` header (IPv6 addresses in brackets).
    public var authority: String {
        let host = name.contains(":") ? "[\(name)]" : name
        return port.map { "\(host):\($0)" } ?? host
    }

    /// Whether the host is on this machine or a private network, where the default scheme is
    /// `ws`/`http` rather than `wss`/`https`: `localhost`, names ending in `.local`, 127.0.0.0/8,
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and `::1` (also as an IPv4-mapped IPv6 address).
    public var isLocal: Bool {
        let lowered = name.lowercased()
        if lowered == "localhost" || lowered.hasSuffix(".local") { return true }
        if let octets = Self.ipv4Octets(lowered) { return Self.isPrivate(octets) }
        guard let normalized = Self.normalizedIPv6(lowered) else { return false }
        if normalized == "::1" { return true }
        if normalized.hasPrefix("::ffff:"), let octets = Self.ipv4Octets(String(normalized.dropFirst(7))) {
            return Self.isPrivate(octets)
        }
        return false
    }

    /// The four octets of a dotted-quad IPv4 address, or nil.
    static func ipv4Octets(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = Int(part), (0...255).contains(value)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// Whether an IPv4 address is loopback or in a private range.
    private static func isPrivate(_ octets: [Int]) -> Bool {
        switch (octets[0], octets[1]) {
        case (127, _), (10, _), (192, 168): true
        case (172, let second): (16...31).contains(second)
        default: false
        }
    }

    /// The canonical text of an IPv6 address (`0:0:0:0:0:0:0:1` → `::1`), or nil if `text` is not one.
    static func normalizedIPv6(_ text: String) -> String? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0), case .v6 = address else { return nil }
        return address.ipAddress
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    func trimmingWhitespace() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
