/// Writes the part of an encoded struct from `offset` clock ticks on, the way Yjs slices a
/// struct it sends only partly: an item's slice has the tick before it as its origin, so it needs
/// no parent, and its content loses its first `offset` units.
enum YStructSlice {
    /// Appends `structure` (from `bytes`, of `client`) without its first `offset` ticks to `out`;
    /// `offset` is above 0 and below the struct's length.
    static func write(_ structure: YStruct, of client: UInt64, in bytes: [UInt8], from offset: UInt64, to out: inout [UInt8]) {
        switch structure.kind {
        case .gc, .skip:
            out.append(structure.kind == .gc ? YStruct.gcInfo : YStruct.skipInfo)
            Lib0Writer.writeVarUInt(structure.length - offset, to: &out)
        case .item:
            let info = structure.info
            out.append((info & (YStruct.Flag.content | YStruct.Flag.rightOrigin | YStruct.Flag.parentSub)) | YStruct.Flag.origin)
            Lib0Writer.writeVarUInt(client, to: &out)
            Lib0Writer.writeVarUInt(structure.clock + offset - 1, to: &out)
            if let rightOrigin = structure.rightOrigin { out.append(contentsOf: bytes[rightOrigin]) }
            writeContent(structure, in: bytes, from: offset, to: &out)
        }
    }

    /// The content of an item without its first `offset` units. Content kinds of length 1 are
    /// never sliced.
    private static func writeContent(_ structure: YStruct, in bytes: [UInt8], from offset: UInt64, to out: inout [UInt8]) {
        var reader = Lib0Reader(bytes, range: structure.contentStart..<structure.range.upperBound)
        // The struct was read and checked before: these reads cannot fail.
        do {
            switch structure.info & YStruct.Flag.content {
            case YStruct.Content.deleted:
                Lib0Writer.writeVarUInt(structure.length - offset, to: &out)
            case YStruct.Content.json, YStruct.Content.any:
                let isJSON = structure.info & YStruct.Flag.content == YStruct.Content.json
                let count = try reader.readVarUInt()
                for _ in 0..<offset {
                    if isJSON { _ = try reader.readByteRange() } else { try reader.skipAny() }
                }
                Lib0Writer.writeVarUInt(count - offset, to: &out)
                out.append(contentsOf: bytes[reader.position..<structure.range.upperBound])
            case YStruct.Content.string:
                let range = try reader.readByteRange()
                writeString(bytes, range, droppingUTF16Units: offset, to: &out)
            default:
                preconditionFailure("a struct of length 1 cannot be sliced")
            }
        } catch {
            preconditionFailure("a checked struct failed to read again: \(error)")
        }
    }

    /// Writes valid UTF-8 `bytes[range]` without its first `units` UTF-16 units, as a
    /// length-prefixed string. A cut inside a surrogate pair leaves U+FFFD for its second half,
    /// as JavaScript's encoder does with a lone surrogate, so the length in units is kept.
    private static func writeString(_ bytes: [UInt8], _ range: Range<Int>, droppingUTF16Units units: UInt64, to out: inout [UInt8]) {
        var index = range.lowerBound
        var dropped: UInt64 = 0
        var splitPair = false
        while dropped < units {
            let lead = bytes[index]
            let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            if width == 4 {
                if dropped + 1 == units { splitPair = true }
                dropped += 2
            } else {
                dropped += 1
            }
            index += width
        }
        let replacement: [UInt8] = splitPair ? [0xEF, 0xBF, 0xBD] : []
        Lib0Writer.writeVarUInt(UInt64(replacement.count + range.upperBound - index), to: &out)
        out.append(contentsOf: replacement)
        out.append(contentsOf: bytes[index..<range.upperBound])
    }
}
