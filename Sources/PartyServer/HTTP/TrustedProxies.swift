import Foundation

/// Which peers may say who the client is (`PartyConfiguration.trustedProxies`), and the client
/// address of a request: the peer's, or, from a trusted proxy, the nearest untrusted address in
/// `Forwarded: for=` or `X-Forwarded-For`.
struct TrustedProxies: Sendable {
    /// One address range: the address's bytes and how many leading bits must match.
    private struct Range: Sendable {
        var bytes: [UInt8]
        var bits: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = bits
            for (index, byte) in bytes.enumerated() where remaining > 0 {
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
                guard address[index] & mask == byte & mask else { return false }
                remaining -= 8
            }
            return true
        }
    }

    private let ranges: [Range]

    /// Parses `entries` (addresses or CIDR ranges); throws a message naming the first bad one.
    init(_ entries: [String]) throws(PartyError) {
        ranges = try entries.map { (entry) throws(PartyError) -> Range in
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = parts.first, let bytes = Self.bytes(of: address) else {
                throw .invalidConfiguration("trustedProxies: \(entry.debugDescription) is not an IP address or CIDR range")
            }
            var bits = bytes.count * 8
            if parts.count == 2 {
                guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else {
                    throw .invalidConfiguration("trustedProxies: \(entry.debugDescription) has a prefix length outside 0...\(bits)")
                }
                bits = prefix
            }
            return Range(bytes: bytes, bits: bits)
        }
    }

    /// Whether `address` is one of the trusted proxies.
    func trusts(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client address of a request from `proxy` (a trusted one) with these forwarding headers.
    func clientAddress(proxy peer: String, forwarded: String?, forwardedFor: String?) -> String {
        let chain = forwarded.map(Self.forwardedFor) ?? forwardedFor.map { $0.split(separator: ",").map { Self.bare($0) } } ?? []
        guard !chain.isEmpty else { return peer }
        // Nearest first: the last address was added by the proxy closest to this server.
        for address in chain.reversed() where !trusts(address) {
            return Self.bytes(of: address) == nil ? peer : address
        }
        return chain.first.flatMap { Self.bytes(of: $0) == nil ? nil : $0 } ?? peer
    }

    /// The `for=` values of a `Forwarded` header, in order.
    private static func forwardedFor(_ header: String) -> [String] {
        header.split(separator: ",").compactMap { element in
            element.split(separator: ";").lazy.compactMap { pair -> String? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingSpaces().lowercased() == "for" else { return nil }
                return bare(parts[1])
            }.first
        }
    }

    /// An address without quotes, brackets, port or spaces (`"[2001:db8::1]:4711"` → `2001:db8::1`).
    private static func bare(_ raw: Substring) -> String {
        var text = raw.trimmingSpaces()
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<close]) }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return String(text)
    }

    /// The bytes of an IPv4 or IPv6 address, nil when it is neither.
    static func bytes(of address: String) -> [UInt8]? {
        if let v4 = ipv4(Substring(address)) { return v4 }
        return ipv6(address.split(separator: "%", maxSplits: 1).first ?? "")
    }

    /// The 4 bytes of a dotted IPv4 address.
    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// The 16 bytes of an IPv6 address (`::` shorthand and a trailing dotted IPv4 part allowed).
    private static func ipv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ half: String) -> [UInt8]? {
            guard !half.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let pieces = half.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = ipv4(piece) {
                    bytes += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
