/// The permessage-deflate agreement of one WebSocket handshake (RFC 7692 §7.1): read from the
/// client's `Sec-WebSocket-Extensions` offers, answered in the 101 response.
package struct DeflateNegotiation: Sendable, Equatable {
    /// Window bits the server compresses with. A client asking for 8 is served with 9: zlib refuses
    /// 8 for raw deflate, and with 9 its matches never reach back more than 250 bytes, inside the
    /// 256-byte window the client keeps.
    package var serverWindowBits: Int
    /// The `Sec-WebSocket-Extensions` value of the 101 response.
    package var response: String

    /// The agreement for the first acceptable offer in `headerValues` (each a
    /// `Sec-WebSocket-Extensions` field value), or `nil` when none offers permessage-deflate with
    /// parameters this server understands.
    package static func negotiate(offers headerValues: [String], settings: PerMessageDeflate) -> DeflateNegotiation? {
        for value in headerValues {
            for offer in value.split(separator: ",") {
                guard let parameters = Offer(offer) else { continue }
                var response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
                var bits = settings.maxWindowBits
                if let requested = parameters.serverMaxWindowBits {
                    bits = min(bits, requested)
                    response += "; server_max_window_bits=\(bits)"
                }
                return DeflateNegotiation(serverWindowBits: max(9, bits), response: response)
            }
        }
        return nil
    }

    /// One permessage-deflate offer, if well formed.
    private struct Offer {
        var serverMaxWindowBits: Int?

        init?(_ text: Substring) {
            var parts = text.split(separator: ";", omittingEmptySubsequences: false).makeIterator()
            guard let name = parts.next(), name.trimmed.lowercased() == "permessage-deflate" else { return nil }
            var seen = Set<String>()
            while let part = parts.next() {
                let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = pair[0].trimmed.lowercased()
                guard !key.isEmpty, seen.insert(key).inserted else { return nil }
                let value = pair.count == 2 ? Self.unquoted(pair[1].trimmed) : nil
                switch key {
                case "server_no_context_takeover", "client_no_context_takeover":
                    guard value == nil else { return nil }
                case "server_max_window_bits":
                    guard let bits = value.flatMap(Self.windowBits) else { return nil }
                    serverMaxWindowBits = bits
                case "client_max_window_bits":
                    // The client may use any window up to this; inflating with 15 bits reads them all.
                    if let value, Self.windowBits(value) == nil { return nil }
                default:
                    return nil
                }
            }
        }

        /// `value` without surrounding double quotes.
        private static func unquoted(_ value: Substring) -> Substring {
            guard value.count >= 2, value.first == "\"", value.last == "\"" else { return value }
            return value.dropFirst().dropLast()
        }

        /// A window size in bits, 8...15, written as 1*DIGIT without a leading zero.
        private static func windowBits(_ value: Substring) -> Int? {
            guard !value.isEmpty, value.allSatisfy(\.isASCII), value.first != "0", let bits = Int(value), (8...15).contains(bits) else {
                return nil
            }
            return bits
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmed: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
