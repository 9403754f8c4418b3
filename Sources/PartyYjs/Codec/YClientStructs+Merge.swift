extension YClientStructs {
    /// How large an item's content may grow by merging the structs that follow it.
    static let maxMergedContentBytes = 1024

    /// Merges `structure`, which starts where the last struct ends, into that struct when Yjs
    /// would read the two the same way as one: both GC, or items of the same content kind
    /// (string, deleted, JSON or any values) where the new one's origin is the last one's last
    /// tick and their right origins are equal. Splitting the merged item at that tick, as Yjs
    /// does when something refers to it, gives back exactly the two items. So typing, one
    /// character an update, is kept as a few items instead of one per keystroke. Returns
    /// whether it merged.
    mutating func mergeIntoLast(_ structure: YStruct, client: UInt64, from source: [UInt8]) -> Bool {
        let lastIndex = clocks.count - 1
        guard lastIndex >= 0, structure.clock == end, bytes[offsets[lastIndex]] != YStruct.skipInfo else { return false }
        let last = self.structure(at: lastIndex)
        if last.kind == .gc || structure.kind == .gc {
            guard last.kind == .gc, structure.kind == .gc else { return false }
            bytes.removeSubrange(offsets[lastIndex]...)
            bytes.append(YStruct.gcInfo)
            Lib0Writer.writeVarUInt(last.length + structure.length, to: &bytes)
            end = structure.clock + structure.length
            return true
        }
        let kind = last.info & YStruct.Flag.content
        guard kind == structure.info & YStruct.Flag.content,
              kind == YStruct.Content.string || kind == YStruct.Content.deleted || kind == YStruct.Content.any || kind == YStruct.Content.json,
              structure.info & YStruct.Flag.origin != 0,
              last.range.upperBound - last.contentStart + structure.range.upperBound - structure.contentStart <= Self.maxMergedContentBytes,
              Self.originIs(client, end - 1, in: source, after: structure.range.lowerBound),
              sameRightOrigin(last, structure, source)
        else { return false }
        // The last struct ends the bytes: its content grows in place, with a new count or length.
        // Its count is read straight from `bytes`: a reader would hold a second reference to the
        // array and make every write below copy it whole.
        let leftCount = readVarUInt(at: last.contentStart)
        var right = Lib0Reader(source, range: structure.contentStart..<structure.range.upperBound)
        do {
            switch kind {
            case YStruct.Content.deleted:
                replaceVarUInt(at: last.contentStart, with: last.length + structure.length)
            case YStruct.Content.string:
                let rightString = try right.readByteRange()
                replaceVarUInt(at: last.contentStart, with: leftCount + UInt64(rightString.count))
                bytes.append(contentsOf: source[rightString])
            default:  // JSON or any values: a count, then the values back to back
                let rightCount = try right.readVarUInt()
                replaceVarUInt(at: last.contentStart, with: leftCount + rightCount)
                bytes.append(contentsOf: source[right.position..<structure.range.upperBound])
            }
        } catch {
            preconditionFailure("a checked struct failed to read again: \(error)")
        }
        end = structure.clock + structure.length
        return true
    }

    /// The variable-length integer at `offset` in `bytes` (checked when it came in).
    private func readVarUInt(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while true {
            let byte = bytes[index]
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            index += 1
        }
    }

    /// Replaces the variable-length integer at `offset` in `bytes` with `value`.
    private mutating func replaceVarUInt(at offset: Int, with value: UInt64) {
        var width = 1
        while bytes[offset + width - 1] >= 0x80 { width += 1 }
        var encoded: [UInt8] = []
        Lib0Writer.writeVarUInt(value, to: &encoded)
        if encoded.count == width {
            for index in 0..<width { bytes[offset + index] = encoded[index] }
        } else {
            bytes.replaceSubrange(offset..<(offset + width), with: encoded)
        }
    }

    /// Whether the origin id written right after the info byte at `infoOffset` is
    /// (`client`, `clock`).
    private static func originIs(_ client: UInt64, _ clock: UInt64, in source: [UInt8], after infoOffset: Int) -> Bool {
        var reader = Lib0Reader(source, range: (infoOffset + 1)..<source.count)
        return (try? reader.readVarUInt()) == client && (try? reader.readVarUInt()) == clock
    }

    /// Whether `last` (in `bytes`) and `next` (in `source`) have the same right origin, or none.
    private func sameRightOrigin(_ last: YStruct, _ next: YStruct, _ source: [UInt8]) -> Bool {
        switch (last.rightOrigin, next.rightOrigin) {
        case (nil, nil): true
        case (let left?, let right?): bytes[left].elementsEqual(source[right])
        default: false
        }
    }
}
