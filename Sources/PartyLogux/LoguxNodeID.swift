import PartyRuntime
/// A Logux node id, `userId:clientId:tabId` (a client's tab), `userId:clientId`, or
/// `server:random` (the server).
public struct LoguxNodeID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The whole id.
    public let rawValue: String

    /// Wraps `rawValue`; `nil` when it is empty, longer than 256 bytes, or holds a space or a
    /// control character (ids are joined with spaces in action ids).
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 256,
            !rawValue.unicodeScalars.contains(where: { $0 == " " || $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        self.rawValue = rawValue
    }

    /// Wraps an id that was checked before (a session's node).
    init(trusted rawValue: String) {
        self.rawValue = rawValue
    }

    /// The user part: everything before the first `:` (the whole id when there is none).
    public var userId: String {
        guard let colon = rawValue.firstIndex(of: ":") else { return rawValue }
        return String(rawValue[..<colon])
    }

    /// The client part, `userId:clientId`: the id without its tab part.
    public var clientId: String {
        let parts = rawValue.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count < 3 ? rawValue : "\(parts[0]):\(parts[1])"
    }

    /// The id.
    public var description: String { rawValue }
}
