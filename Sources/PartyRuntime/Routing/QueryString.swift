/// Parses `application/x-www-form-urlencoded` query strings (`+` is a space).
package enum QueryString {
    /// The name/value pairs of `query` (without the leading `?`), decoded; malformed escapes are kept as is.
    package static func parse(_ query: Substring) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        var pairs: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = part.firstIndex(of: "=")
            let rawName = equals.map { part[..<$0] } ?? part
            let rawValue = equals.map { part[part.index(after: $0)...] } ?? ""
            pairs.append((decode(rawName), decode(rawValue)))
        }
        return pairs
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.contains("+") ? Substring(text.replacingOccurrences(of: "+", with: " ")) : text
        return RoomRoute.percentDecoded(spaced) ?? String(spaced)
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
