/// Appends lib0's binary encoding to a byte array.
enum Lib0Writer {
    /// An unsigned variable-length integer.
    @inline(__always)
    static func writeVarUInt(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// A length-prefixed byte array.
    static func writeBytes(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        writeVarUInt(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// A length-prefixed UTF-8 string.
    static func writeString(_ string: String, to out: inout [UInt8]) {
        writeBytes(string.utf8, to: &out)
    }
}
