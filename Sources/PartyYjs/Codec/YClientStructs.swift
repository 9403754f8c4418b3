/// One client's structs in a merged document, encoded back to back in clock order as an update
/// carries them, with the clock and byte offset of each: sending what a peer lacks is a binary
/// search and a copy. Gaps (structs not received yet) are Skip structs.
struct YClientStructs: Sendable {
    /// The encoded structs.
    var bytes: [UInt8] = []
    /// The first clock of each struct.
    private(set) var clocks: [UInt64] = []
    /// Where each struct starts in `bytes`.
    private(set) var offsets: [Int] = []
    /// The clock after the last struct.
    var end: UInt64 = 0
    /// The gaps, in clock order.
    private(set) var gaps: [YDeleteSet.Range] = []

    /// How many structs (gaps included) there are.
    var count: Int { clocks.count }

    /// The clock up to which the client's history is complete from 0 (0 when it is not).
    var contiguousEnd: UInt64 {
        guard clocks.first == 0 else { return 0 }
        return gaps.first?.clock ?? end
    }

    /// Adds `structs` (in clock order; gaps and empty ones are skipped) of `client`, read from
    /// `source`; returns whether any of them brought ticks not held before.
    mutating func add(_ structs: ArraySlice<YStruct>, client: UInt64, source: [UInt8]) -> Bool {
        var changed = false
        for index in structs.indices {
            let structure = structs[index]
            guard structure.kind != .skip, structure.length > 0 else { continue }
            let structureEnd = structure.clock + structure.length
            if clocks.isEmpty || structure.clock >= end {
                if !clocks.isEmpty && structure.clock > end {
                    appendGap(clock: end, length: structure.clock - end)
                } else if !clocks.isEmpty, mergeIntoLast(structure, client: client, from: source) {
                    changed = true
                    continue
                }
                append(structure, from: source)
                changed = true
            } else if structure.clock >= clocks[0] && !gapOverlaps(structure.clock, min(structureEnd, end)) {
                if structureEnd > end {
                    appendSlice(of: structure, client: client, from: source, dropping: end - structure.clock)
                    changed = true
                }
            } else {
                return rebuild(adding: structs[index...], client: client, source: source) || changed
            }
        }
        return changed
    }

    /// Appends the structs after `clock` as an update's block for `client` (count, client,
    /// first clock, structs); returns false, writing nothing, when there are none.
    func write(client: UInt64, since clock: UInt64, to out: inout [UInt8]) -> Bool {
        guard end > clock, !clocks.isEmpty else { return false }
        var low = 0
        var high = clocks.count
        while low < high {  // the last struct that starts at or before `clock`
            let middle = (low + high) / 2
            if clocks[middle] <= clock { low = middle + 1 } else { high = middle }
        }
        var index = max(low - 1, 0)
        if isGap(index) { index += 1 }  // gaps never end the list
        let first = clocks[index]
        Lib0Writer.writeVarUInt(UInt64(clocks.count - index), to: &out)
        Lib0Writer.writeVarUInt(client, to: &out)
        Lib0Writer.writeVarUInt(max(first, clock), to: &out)
        var rest = offsets[index]
        if clock > first {
            YStructSlice.write(structure(at: index), of: client, in: bytes, from: clock - first, to: &out)
            rest = index + 1 < offsets.count ? offsets[index + 1] : bytes.count
        }
        out.append(contentsOf: bytes[rest...])
        return true
    }

    // MARK: - Private

    private func isGap(_ index: Int) -> Bool {
        bytes[offsets[index]] == YStruct.skipInfo
    }

    private func gapOverlaps(_ start: UInt64, _ end: UInt64) -> Bool {
        gaps.contains { $0.clock < end && $0.end > start }
    }

    /// The struct at `index`, its header read again from `bytes` (its content was checked when
    /// it came in).
    func structure(at index: Int) -> YStruct {
        let last = index + 1 == offsets.count
        var reader = Lib0Reader(bytes, range: offsets[index]..<(last ? bytes.count : offsets[index + 1]))
        let length = (last ? end : clocks[index + 1]) - clocks[index]
        do {
            return try reader.readStoredStruct(clock: clocks[index], length: length)
        } catch {
            preconditionFailure("a stored struct failed to read again: \(error)")
        }
    }

    private mutating func append(_ structure: YStruct, from source: [UInt8]) {
        clocks.append(structure.clock)
        offsets.append(bytes.count)
        bytes.append(contentsOf: source[structure.range])
        end = structure.clock + structure.length
    }

    /// Appends `structure` without its first `offset` ticks (merged into the last struct when
    /// it can be, as a whole struct would be).
    private mutating func appendSlice(of structure: YStruct, client: UInt64, from source: [UInt8], dropping offset: UInt64) {
        var slice: [UInt8] = []
        YStructSlice.write(structure, of: client, in: source, from: offset, to: &slice)
        var reader = Lib0Reader(slice)
        guard var sliced = try? reader.readStruct() else { preconditionFailure("a slice of a checked struct does not read") }
        sliced.clock = structure.clock + offset
        if !mergeIntoLast(sliced, client: client, from: slice) { append(sliced, from: slice) }
    }

    private mutating func appendGap(clock: UInt64, length: UInt64) {
        clocks.append(clock)
        offsets.append(bytes.count)
        bytes.append(YStruct.skipInfo)
        Lib0Writer.writeVarUInt(length, to: &bytes)
        gaps.append(YDeleteSet.Range(clock: clock, length: length))
        end = clock + length
    }

    /// Merges `new` into the structs by rebuilding them: for structs that fill gaps or come
    /// before the first one. Where structs overlap, the earlier one is kept whole.
    private mutating func rebuild(adding new: ArraySlice<YStruct>, client: UInt64, source: [UInt8]) -> Bool {
        let old = self
        var pieces: [(structure: YStruct, isNew: Bool)] = []
        pieces.reserveCapacity(old.count + new.count)
        for index in 0..<old.count where !old.isGap(index) {
            pieces.append((old.structure(at: index), false))
        }
        for structure in new where structure.kind != .skip && structure.length > 0 { pieces.append((structure, true)) }
        pieces.sort { left, right in
            left.structure.clock != right.structure.clock ? left.structure.clock < right.structure.clock : !left.isNew && right.isNew
        }
        self = YClientStructs()
        var changed = false
        for (structure, isNew) in pieces {
            let structureEnd = structure.clock + structure.length
            let from = isNew ? source : old.bytes
            if clocks.isEmpty || structure.clock >= end {
                if !clocks.isEmpty && structure.clock > end {
                    appendGap(clock: end, length: structure.clock - end)
                    append(structure, from: from)
                } else if clocks.isEmpty || !mergeIntoLast(structure, client: client, from: from) {
                    append(structure, from: from)
                }
            } else if structureEnd > end {
                appendSlice(of: structure, client: client, from: from, dropping: end - structure.clock)
            } else {
                continue
            }
            if isNew { changed = true }
        }
        return changed
    }
}
