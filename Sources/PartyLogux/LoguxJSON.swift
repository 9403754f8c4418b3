import Foundation
import PartyRuntime
import PartyServer

/// JSON reading and compact writing for Logux messages: numbers that are whole print without a
/// fraction (`1733250000000`, not `1.73325e12`), as JavaScript prints them.
enum LoguxJSON {
    /// The JSON value of `text`, or `nil` when it is not JSON.
    static func parse(_ text: String) -> AnyJSON? {
        try? JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8))
    }

    /// `value` as compact JSON text.
    static func text(_ value: AnyJSON) -> String {
        var output = ""
        write(value, into: &output)
        return output
    }

    /// Appends `value` as compact JSON to `output`.
    static func write(_ value: AnyJSON, into output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number): write(number: number, into: &output)
        case .string(let string): write(string: string, into: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                write(item, into: &output)
            }
            output += "]"
        case .object(let fields):
            output += "{"
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                write(string: key, into: &output)
                output += ":"
                write(fields[key] ?? .null, into: &output)
            }
            output += "}"
        }
    }

    /// Appends a number: whole numbers within ±2^53 as integers, others as Swift prints them.
    static func write(number: Double, into output: inout String) {
        if number.isFinite, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 {
            output += String(Int64(number))
        } else if number.isFinite {
            output += "\(number)"
        } else {
            output += "null"
        }
    }

    /// Appends `string` as a JSON string literal.
    static func write(string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u"
                let hex = String(scalar.value, radix: 16)
                output += String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

extension AnyJSON {
    /// The number as an integer when it is a whole number within ±2^53.
    var integer: Int64? {
        guard case .number(let number) = self, number.isFinite, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { return nil }
        return Int64(number)
    }

    /// The string, when the value is one.
    var string: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    /// The fields, when the value is an object.
    var object: [String: AnyJSON]? {
        guard case .object(let fields) = self else { return nil }
        return fields
    }

}
