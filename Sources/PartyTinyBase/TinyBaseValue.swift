/// A TinyBase cell or value as it travels between synchronizers: a string, a finite number, a
/// boolean, `null` (a real value, not a deletion), or `undefined` — a deleted cell or value,
/// kept as a tombstone with its HLC and written on the wire as the string "\u{FFFC}".
///
/// Objects and arrays never travel as such: a TinyBase store keeps them encoded as a string
/// starting with "\u{FFFD}" followed by their JSON, and synchronizes that string. Strings
/// here are opaque, so those pass through unchanged. A raw JSON object or array in a cell
/// (which TinyBase's own validator would let through) is refused as malformed.
public enum TinyBaseValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A string (including TinyBase's "\u{FFFD}"-prefixed encoded objects and arrays).
    case string(String)
    /// A finite number.
    case number(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// `null`.
    case null
    /// JavaScript's `undefined`: the cell or value was deleted.
    case undefined

    /// The prefix TinyBase gives a string that holds an encoded JSON object or array.
    public static let encodedJSONPrefix: Character = "\u{FFFD}"

    /// Whether this is a tombstone (`undefined`).
    public var isDeleted: Bool { self == .undefined }

    /// The value read from JSON as TinyBase's `isCellOrValueOrUndefined` allows it (minus raw
    /// objects and arrays, see the type's documentation).
    public init(json: TinyBaseJSON) throws(TinyBaseProtocolError) {
        switch json {
        case .string(let value): self = .string(value)
        case .number(let value):
            guard value.isFinite else { throw .invalidContent("a cell or value is not a finite number") }
            self = .number(value)
        case .bool(let value): self = .boolean(value)
        case .null: self = .null
        case .undefined: self = .undefined
        case .array, .object:
            throw .invalidContent("a cell or value is a raw JSON object or array")
        }
    }

    /// The value as TinyBase writes it on the wire (`undefined` as "\u{FFFC}").
    public var json: TinyBaseJSON { javaScriptJSON(undefinedAsNull: false) }

    /// The JSON of the value, with `undefined` as `null` (what the hash reads) or as the marker.
    func javaScriptJSON(undefinedAsNull: Bool) -> TinyBaseJSON {
        switch self {
        case .string(let value): .string(value)
        case .number(let value): .number(value)
        case .boolean(let value): .bool(value)
        case .null: .null
        case .undefined: undefinedAsNull ? .null : .undefined
        }
    }

    /// Whether two values are the same as JavaScript's `===` sees them (1 and 1.0 are, and so
    /// are 0 and -0); a store does not restamp a cell set to the value it already has.
    public func isSameValue(as other: TinyBaseValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): a == b
        default: self == other
        }
    }

    /// The JSON text TinyBase sends for this value.
    public var description: String { json.text }

    /// Decodes the JSON TinyBase sends: a string ("\u{FFFC}" meaning deleted), number, boolean
    /// or null.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Double.self) {
            guard value.isFinite else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a TinyBase number must be finite")
            }
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = value == TinyBaseJSON.undefinedMarker ? .undefined : .string(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a TinyBase cell or value is a string, number, boolean or null")
        }
    }

    /// Encodes the JSON TinyBase sends (`undefined` as the string "\u{FFFC}").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .undefined: try container.encode(TinyBaseJSON.undefinedMarker)
        }
    }
}
