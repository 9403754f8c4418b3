/// A forward-only reader of compact JSON bytes (no whitespace between tokens, as servers write
/// it): takes single bytes, strings, whole numbers, or skips over any value, without copying.
struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    private(set) var offset = 0

    /// A reader at the start of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Reads `byte` if it is next; false (reading nothing) otherwise.
    mutating func take(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// Reads a string and returns its bytes between the quotes (escapes left as written).
    mutating func string() -> UnsafeRawBufferPointer? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = offset
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "\\"):
                offset += 2
            case UInt8(ascii: "\""):
                let content = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                return content
            default:
                offset += 1
            }
        }
        return nil
    }

    /// Reads a whole number (an optional minus sign, then up to 18 digits).
    mutating func integer() -> Int? {
        let negative = take(UInt8(ascii: "-"))
        let start = offset
        var value = 0
        while offset < bytes.count, offset - start < 18, (48...57).contains(bytes[offset]) {
            value = value &* 10 &+ Int(bytes[offset] &- 48)
            offset += 1
        }
        guard offset > start else { return nil }
        return negative ? -value : value
    }

    /// Reads any one value and returns its bytes: a string with its quotes, an object or array
    /// with everything inside, or a number or literal up to the next `,`, `]` or `}`.
    mutating func value() -> UnsafeRawBufferPointer? {
        guard offset < bytes.count else { return nil }
        let start = offset
        switch bytes[offset] {
        case UInt8(ascii: "\""):
            guard string() != nil else { return nil }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            repeat {
                guard offset < bytes.count else { return nil }
                switch bytes[offset] {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return nil }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
                offset += 1
            } while depth > 0
        default:
            while offset < bytes.count, bytes[offset] != UInt8(ascii: ","), bytes[offset] != UInt8(ascii: "]"), bytes[offset] != UInt8(ascii: "}") {
                offset += 1
            }
            guard offset > start else { return nil }
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }
}
