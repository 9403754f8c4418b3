/// The text frames of TinyBase's WebSocket synchronizers (src/synchronizers/common.ts).
///
/// A payload is `"<clientId>\n<json>"`. From a client the first line names the recipient
/// ("" everyone else on the path and the server's store, "S" the server's store only, another
/// id that client); the server replaces it with the sender's id before passing the payload on.
///
/// A message may be split (`createPayloads` with a fragment size) into payloads
/// `"<clientId>\n<messageId>\n<index>\n<total>\n<chunk>"`: a 16-character id of the HLC
/// alphabet, the chunk's index from 0, the number of chunks, and a piece of the JSON text cut
/// at code point boundaries so that each is at most the fragment size in UTF-8 bytes (raised
/// so that there are never more than 1000 chunks).
public enum TinyBaseFrame {
    /// The client id of the server's own store.
    public static let serverClientId = "S"
    /// The most chunks one message may be split into.
    public static let maxFragmentCount = 1000

    /// The client id line and the rest of a payload, split at the first "\n".
    public static func split(_ payload: String) throws(TinyBaseProtocolError) -> (clientId: String, remainder: String) {
        guard let newline = payload.utf8.firstIndex(of: UInt8(ascii: "\n")) else { throw .missingSeparator }
        let clientId = String(payload[..<newline])
        let remainder = String(payload[payload.utf8.index(after: newline)...])
        return (clientId, remainder)
    }

    /// `"<clientId>\n<remainder>"`.
    public static func payload(clientId: String, remainder: String) -> String {
        clientId + "\n" + remainder
    }

    /// The payload of `message` addressed to `clientId` (`nil` meaning "" — everyone).
    public static func payload(to clientId: String?, _ message: TinyBaseMessage) -> String {
        payload(clientId: clientId ?? "", remainder: message.text)
    }

    /// The payloads of `message` (`createPayloads`): one, or, when `fragmentSize` is at least 1
    /// and the JSON is longer, chunks under `messageId` (16 characters of the HLC alphabet).
    public static func payloads(
        to clientId: String?, _ message: TinyBaseMessage, fragmentSize: Int?, messageId: @autoclosure () -> String
    ) -> [String] {
        let to = clientId ?? ""
        let remainder = message.text
        guard let fragmentSize, fragmentSize >= 1 else { return [payload(clientId: to, remainder: remainder)] }
        let totalSize = remainder.utf8.count
        let maxSize = max(fragmentSize, (totalSize + maxFragmentCount - 1) / maxFragmentCount + 3)
        var fragments: [String] = []
        var fragment = String.UnicodeScalarView()
        var size = 0
        for scalar in remainder.unicodeScalars {
            let scalarSize = UTF8.width(scalar)
            if size > 0 && size + scalarSize > maxSize {
                fragments.append(String(fragment))
                fragment = String.UnicodeScalarView()
                size = 0
            }
            fragment.append(scalar)
            size += scalarSize
        }
        fragments.append(String(fragment))
        guard fragments.count > 1 else { return [payload(clientId: to, remainder: remainder)] }
        let id = messageId()
        return fragments.enumerated().map { index, chunk in
            payload(clientId: to, remainder: "\(id)\n\(index)\n\(fragments.count)\n\(chunk)")
        }
    }

    /// A fragment of a split message, as read from a payload's remainder.
    public struct Fragment: Sendable, Equatable {
        /// The 16-character id shared by the message's fragments.
        public var messageId: String
        /// The fragment's index, from 0.
        public var index: Int
        /// How many fragments the message has.
        public var total: Int
        /// The piece of JSON text.
        public var chunk: String

        /// Reads `<16-character id>\n<index>\n<total>\n<chunk>`, or `nil` if the remainder does
        /// not have that layout (TinyBase's FRAGMENT pattern). Numbers too long to hold are
        /// read as `Int.max`, which the limits then refuse.
        public init?(remainder: String) {
            let utf8 = Array(remainder.utf8)
            guard utf8.count >= 17, utf8[16] == UInt8(ascii: "\n"),
                  TinyBaseHLC.isWellFormed(String(decoding: utf8[0..<16], as: UTF8.self))
            else { return nil }
            var position = 17
            func number() -> Int? {
                let start = position
                while position < utf8.count, utf8[position] >= UInt8(ascii: "0"), utf8[position] <= UInt8(ascii: "9") {
                    position += 1
                }
                guard position > start, position < utf8.count, utf8[position] == UInt8(ascii: "\n") else { return nil }
                defer { position += 1 }
                return Int(String(decoding: utf8[start..<position], as: UTF8.self)) ?? Int.max
            }
            guard let index = number(), let total = number() else { return nil }
            messageId = String(decoding: utf8[0..<16], as: UTF8.self)
            self.index = index
            self.total = total
            chunk = String(decoding: utf8[position...], as: UTF8.self)
        }
    }
}
