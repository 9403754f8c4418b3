/// The ranges of clock ticks each client deleted: kept sorted, without overlaps or touching
/// ranges, so the same deletions always encode the same way.
struct YDeleteSet: Sendable, Equatable {
    /// A run of deleted ticks.
    struct Range: Sendable, Equatable {
        var clock: UInt64
        var length: UInt64
        var end: UInt64 { clock + length }
    }

    /// The deleted ranges of each client.
    private(set) var ranges: [UInt64: [Range]] = [:]

    /// Whether nothing is deleted.
    var isEmpty: Bool { ranges.isEmpty }

    /// Adds a deleted range; returns whether it deleted anything not deleted before.
    @discardableResult
    mutating func insert(client: UInt64, clock: UInt64, length: UInt64) -> Bool {
        guard length > 0 else { return false }
        let new = Range(clock: clock, length: length)
        guard var list = ranges[client], let last = list.last else {
            ranges[client] = [new]
            return true
        }
        if clock > last.end {
            list.append(new)
        } else if clock >= last.clock {
            guard new.end > last.end else { return false }
            list[list.count - 1].length = new.end - last.clock
        } else {
            // Out of order: find the first range that ends at or after `clock`.
            var low = 0
            var high = list.count
            while low < high {
                let middle = (low + high) / 2
                if list[middle].end < clock { low = middle + 1 } else { high = middle }
            }
            if list[low].clock <= clock && list[low].end >= new.end { return false }
            var merged = new
            var upper = low
            while upper < list.count && list[upper].clock <= merged.end {
                let start = min(merged.clock, list[upper].clock)
                merged = Range(clock: start, length: max(merged.end, list[upper].end) - start)
                upper += 1
            }
            list.replaceSubrange(low..<upper, with: [merged])
        }
        ranges[client] = list
        return true
    }

    /// Reads an encoded delete set into a list, checking it.
    static func entries(_ reader: inout Lib0Reader) throws(YUpdateError) -> [(client: UInt64, clock: UInt64, length: UInt64)] {
        var entries: [(client: UInt64, clock: UInt64, length: UInt64)] = []
        let clients = try reader.readLength()
        for _ in 0..<clients {
            let client = try reader.readVarUInt()
            let count = try reader.readLength()
            for _ in 0..<count {
                let clock = try reader.readVarUInt()
                let length = try reader.readVarUInt()
                guard clock + length <= Lib0Reader.maxSafeInteger else { throw .clockOverflow(client: client) }
                entries.append((client, clock, length))
            }
        }
        return entries
    }

    /// Appends the encoded delete set, clients in descending order.
    func write(to out: inout [UInt8]) {
        Lib0Writer.writeVarUInt(UInt64(ranges.count), to: &out)
        for client in ranges.keys.sorted(by: >) {
            let list = ranges[client]!
            Lib0Writer.writeVarUInt(client, to: &out)
            Lib0Writer.writeVarUInt(UInt64(list.count), to: &out)
            for range in list {
                Lib0Writer.writeVarUInt(range.clock, to: &out)
                Lib0Writer.writeVarUInt(range.length, to: &out)
            }
        }
    }
}
