/// Secret values every room reads in `room.env` (API keys, database passwords): printing,
/// dumping or logging a configuration shows their names, never their values.
public struct RoomSecrets: Sendable, Equatable, ExpressibleByDictionaryLiteral, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secrets by name.
    public var values: [String: String]

    /// Secrets with the given values.
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Secrets from a dictionary literal.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// The names with their values redacted.
    public var description: String {
        "RoomSecrets(\(values.keys.sorted().map { "\($0): <redacted>" }.joined(separator: ", ")))"
    }

    /// The same as `description`.
    public var debugDescription: String { description }

    /// A mirror of the names only.
    public var customMirror: Mirror {
        Mirror(self, children: ["names": values.keys.sorted()], displayStyle: .struct)
    }
}
