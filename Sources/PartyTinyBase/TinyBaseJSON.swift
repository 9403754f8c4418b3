/// A JSON value as TinyBase reads and writes it: numbers are doubles (as in JavaScript), object
/// keys keep JavaScript's order, and the string "\u{FFFC}" stands for JavaScript's `undefined`
/// (TinyBase's `jsonParseWithUndefined` / `jsonStringWithUndefined`).
public indirect enum TinyBaseJSON: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (JavaScript numbers are doubles).
    case number(Double)
    /// A string (never "\u{FFFC}": that reads as `.undefined`).
    case string(String)
    /// An array.
    case array([TinyBaseJSON])
    /// An object, keys in JavaScript's order.
    case object(TinyBaseOrderedDictionary<TinyBaseJSON>)
    /// JavaScript's `undefined` (a deleted cell or value), written as the string "\u{FFFC}".
    case undefined

    /// The string that stands for `undefined` on the wire.
    public static let undefinedMarker = "\u{FFFC}"

    /// The compact JSON text, as `JSON.stringify` with TinyBase's replacer writes it: object keys
    /// in JavaScript's order, numbers as JavaScript prints them, non-finite numbers as `null`.
    public var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    /// Appends the JSON text to `output`.
    public func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value): output += value.isFinite ? Self.javaScriptString(value) : "null"
        case .string(let value): Self.writeQuoted(value, to: &output)
        case .undefined: Self.writeQuoted(Self.undefinedMarker, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.javaScriptKeyOrder.enumerated() {
                if index > 0 { output += "," }
                Self.writeQuoted(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    /// Appends `string` quoted as `JSON.stringify` quotes it: `"` `\` and control characters
    /// escaped (`\b \f \n \r \t`, others as lowercase `\u00xx`), everything else as it is.
    public static func writeQuoted(_ string: String, to output: inout String) {
        output += "\""
        var pending = string.unicodeScalars.startIndex
        let scalars = string.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar.value {
            case 0x22: escape = "\\\""
            case 0x5C: escape = "\\\\"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0..<0x20:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                output.unicodeScalars.append(contentsOf: scalars[pending..<index])
                output += escape
                pending = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        output.unicodeScalars.append(contentsOf: scalars[pending..<scalars.endIndex])
        output += "\""
    }

    /// JavaScript's `Number.prototype.toString()` of a finite number: the shortest digits that
    /// read back as the same double, in plain notation from 1e-6 up to below 1e21 and in
    /// exponent notation ("1e+21", "1.5e-7") outside it; -0 prints as "0".
    public static func javaScriptString(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value < 0 { return "-" + javaScriptString(-value) }
        // Swift's description has the same shortest round-trip digits; only the layout differs.
        let description = value.description
        let parts = description.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1])! : 0
        let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integer = pieces[0]
        let fraction = pieces.count > 1 ? pieces[1] : ""
        var digits = Array((integer + fraction).utf8)
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        let n = integer.utf8.count - leadingZeros + exponent
        digits.removeFirst(leadingZeros)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let text = String(decoding: digits, as: UTF8.self)
        if k <= n && n <= 21 {
            return text + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return String(text.prefix(n)) + "." + String(text.dropFirst(n))
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + text
        }
        let e = n - 1
        let head = k == 1 ? text : String(text.prefix(1)) + "." + String(text.dropFirst())
        return head + "e" + (e >= 0 ? "+" : "-") + String(abs(e))
    }
}

extension TinyBaseJSON {
    /// The object's members, or `nil` for any other kind of value.
    public var objectValue: TinyBaseOrderedDictionary<TinyBaseJSON>? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The array's elements, or `nil` for any other kind of value.
    public var arrayValue: [TinyBaseJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string, or `nil` for any other kind of value.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, or `nil` for any other kind of value.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
}
