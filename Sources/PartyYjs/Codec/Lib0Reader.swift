import PartyRuntime

/// Reads lib0's binary encoding (variable-length integers, strings, byte arrays and `any`
/// values) from bytes, checking every length against the end of the input.
struct Lib0Reader {
    /// The input.
    let bytes: [UInt8]
    /// Where the next value starts.
    var position: Int
    /// The end of the input (exclusive).
    let end: Int

    /// The largest integer a JavaScript peer reads exactly (2^53 - 1).
    static let maxSafeInteger: UInt64 = (1 << 53) - 1
    /// How deeply `any` values may nest.
    static let maxDepth = 64

    /// A reader of `bytes[range]` (all of `bytes` by default).
    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    /// Whether every byte was read.
    var isAtEnd: Bool { position >= end }

    /// One byte.
    mutating func readUInt8() throws(YUpdateError) -> UInt8 {
        guard position < end else { throw .truncated(offset: position) }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned variable-length integer: 7 bits a byte, least significant first.
    mutating func readVarUInt() throws(YUpdateError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                guard value <= Self.maxSafeInteger else { throw .integerTooLarge(offset: start) }
                return value
            }
            shift += 7
            guard shift < 56 else { throw .integerTooLarge(offset: start) }
        }
        throw .truncated(offset: start)
    }

    /// A variable-length unsigned integer that must fit in `Int` and the input's remaining bytes
    /// when it counts them.
    mutating func readLength() throws(YUpdateError) -> Int {
        let start = position
        let value = try readVarUInt()
        guard value <= UInt64(end - position) else { throw .truncated(offset: start) }
        return Int(value)
    }

    /// Skips a signed variable-length integer (lib0 `writeVarInt`).
    mutating func skipVarInt() throws(YUpdateError) {
        let start = position
        var count = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            count += 1
            if byte < 0x80 { return }
            guard count < 10 else { throw .integerTooLarge(offset: start) }
        }
        throw .truncated(offset: start)
    }

    /// The range of a length-prefixed byte array.
    mutating func readByteRange() throws(YUpdateError) -> Range<Int> {
        let count = try readLength()
        let start = position
        position += count
        return start..<position
    }

    /// The range of a length-prefixed UTF-8 string, checked for validity.
    mutating func readStringRange() throws(YUpdateError) -> Range<Int> {
        let start = position
        let range = try readByteRange()
        guard Self.isValidUTF8(bytes, range) else { throw .invalidUTF8(offset: start) }
        return range
    }

    /// A length-prefixed UTF-8 string.
    mutating func readString() throws(YUpdateError) -> String {
        let range = try readStringRange()
        return String(decoding: bytes[range], as: UTF8.self)
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int) throws(YUpdateError) {
        guard count <= end - position else { throw .truncated(offset: position) }
        position += count
    }

    /// Skips one value of lib0's `any` encoding.
    mutating func skipAny(depth: Int = 0) throws(YUpdateError) {
        let start = position
        guard depth < Self.maxDepth else { throw .nestedTooDeeply(offset: start) }
        let tag = try readUInt8()
        switch tag {
        case 127, 126, 121, 120: return  // undefined, null, false, true
        case 125: try skipVarInt()
        case 124: try skip(4)  // float32
        case 123, 122: try skip(8)  // float64, bigint64
        case 119: _ = try readStringRange()
        case 118:  // object
            let count = try readLength()
            for _ in 0..<count {
                _ = try readStringRange()
                try skipAny(depth: depth + 1)
            }
        case 117:  // array
            let count = try readLength()
            for _ in 0..<count { try skipAny(depth: depth + 1) }
        case 116: _ = try readByteRange()  // Uint8Array
        default: throw .unknownValue(tag: tag, offset: start)
        }
    }

    /// Whether `bytes[range]` is valid UTF-8.
    static func isValidUTF8(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return true }
        return bytes.withUnsafeBytes { UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
