/// An update (format v1) read and checked whole before any of it is used: its structs by
/// client, and its deletions.
struct YUpdateReader {
    /// The structs of one client, in clock order.
    struct Block {
        var client: UInt64
        var structs: [YStruct]
    }

    /// The update's bytes.
    let bytes: [UInt8]
    /// The struct blocks, in the order the update lists them.
    private(set) var blocks: [Block] = []
    /// The deleted ranges.
    private(set) var deletions: [(client: UInt64, clock: UInt64, length: UInt64)] = []

    /// Reads `bytes`; throws, having kept nothing, when any part is malformed.
    init(_ bytes: [UInt8]) throws(YUpdateError) {
        self.bytes = bytes
        var reader = Lib0Reader(bytes)
        let clientCount = try reader.readLength()
        for _ in 0..<clientCount {
            let structCount = try reader.readLength()
            let client = try reader.readVarUInt()
            var clock = try reader.readVarUInt()
            var structs: [YStruct] = []
            structs.reserveCapacity(structCount)
            for _ in 0..<structCount {
                var structure = try reader.readStruct()
                structure.clock = clock
                clock += structure.length
                guard clock <= Lib0Reader.maxSafeInteger else { throw .clockOverflow(client: client) }
                structs.append(structure)
            }
            blocks.append(Block(client: client, structs: structs))
        }
        deletions = try YDeleteSet.entries(&reader)
        guard reader.isAtEnd else { throw .trailingBytes(offset: reader.position) }
    }
}
