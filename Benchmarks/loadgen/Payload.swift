/// The text payload of a fanout message, fixed layout, ASCII:
///
///     K:SSSSSSSS:NNNNNNNN:TTTTTTTTTTTTTTTT:xxxx…
///
/// `K` is the kind (`R` readiness probe, `W` warm-up, `M` measured), `S` the sender's connection
/// id, `N` the sequence number (both 8 hex digits), `T` the send time in monotonic nanoseconds
/// (16 hex digits); `x` pads the message to the requested size.
enum Payload {
    static let minimumSize = 37

    enum Kind: UInt8 {
        case probe = 0x52 // R
        case warmup = 0x57 // W
        case measured = 0x4D // M
    }

    struct Header {
        var kind: Kind
        var sender: Int
        var sequence: Int
        var sentAt: UInt64
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? 48 &+ nibble : 87 &+ nibble
    }

    @inline(__always)
    private static func writeHex(_ value: UInt64, digits count: Int, to base: UnsafeMutableRawPointer, at offset: Int) {
        var value = value
        var index = offset + count - 1
        while index >= offset {
            base.storeBytes(of: hexDigit(value), toByteOffset: index, as: UInt8.self)
            value >>= 4
            index -= 1
        }
    }

    /// Writes a complete payload of `out.count` bytes (at least `minimumSize`).
    @inline(__always)
    static func write(kind: Kind, sender: Int, sequence: Int, sentAt: UInt64, into out: UnsafeMutableRawBufferPointer) {
        guard let base = out.baseAddress, out.count >= minimumSize else { return }
        let colon = UInt8(ascii: ":")
        base.storeBytes(of: kind.rawValue, toByteOffset: 0, as: UInt8.self)
        base.storeBytes(of: colon, toByteOffset: 1, as: UInt8.self)
        writeHex(UInt64(sender), digits: 8, to: base, at: 2)
        base.storeBytes(of: colon, toByteOffset: 10, as: UInt8.self)
        writeHex(UInt64(sequence), digits: 8, to: base, at: 11)
        base.storeBytes(of: colon, toByteOffset: 19, as: UInt8.self)
        writeHex(sentAt, digits: 16, to: base, at: 20)
        base.storeBytes(of: colon, toByteOffset: 36, as: UInt8.self)
        if out.count > minimumSize {
            (base + minimumSize).initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "x"), count: out.count - minimumSize)
        }
    }

    @inline(__always)
    private static func readHex(_ bytes: UnsafeRawBufferPointer, at offset: Int, digits count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in offset..<(offset + count) {
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case 48...57: nibble = byte &- 48
            case 97...102: nibble = byte &- 87
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    /// Parses a payload's header; nil if it is not a load generator message.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= minimumSize,
            let kind = Kind(rawValue: bytes[0]),
            bytes[1] == UInt8(ascii: ":"), bytes[10] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: ":"), bytes[36] == UInt8(ascii: ":"),
            let sender = readHex(bytes, at: 2, digits: 8),
            let sequence = readHex(bytes, at: 11, digits: 8),
            let sentAt = readHex(bytes, at: 20, digits: 16)
        else { return nil }
        return Header(kind: kind, sender: Int(sender), sequence: Int(sequence), sentAt: sentAt)
    }
}
