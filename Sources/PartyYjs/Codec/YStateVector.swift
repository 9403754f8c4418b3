/// How much of each client's history a document holds: for every client id, the clock just after
/// its last struct that follows an unbroken run from clock 0. Peers send it in sync step 1.
public struct YStateVector: Sendable, Equatable {
    /// The clock reached by each client.
    public var clocks: [UInt64: UInt64]

    /// A state vector of `clocks` (empty: a peer that has nothing).
    public init(_ clocks: [UInt64: UInt64] = [:]) {
        self.clocks = clocks
    }

    /// Reads an encoded state vector: a count, then a client id and a clock for each client.
    public init(decoding bytes: [UInt8]) throws(YUpdateError) {
        var reader = Lib0Reader(bytes)
        try self.init(reading: &reader)
        guard reader.isAtEnd else { throw .trailingBytes(offset: reader.position) }
    }

    init(reading reader: inout Lib0Reader) throws(YUpdateError) {
        let count = try reader.readLength()
        var clocks: [UInt64: UInt64] = [:]
        for _ in 0..<count {
            let client = try reader.readVarUInt()
            clocks[client] = try reader.readVarUInt()
        }
        self.clocks = clocks
    }

    /// The clock reached by `client` (0 when it is unknown).
    public subscript(client: UInt64) -> UInt64 {
        clocks[client] ?? 0
    }

    /// The encoded form, clients in descending order.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1 + clocks.count * 8)
        Lib0Writer.writeVarUInt(UInt64(clocks.count), to: &out)
        for client in clocks.keys.sorted(by: >) {
            Lib0Writer.writeVarUInt(client, to: &out)
            Lib0Writer.writeVarUInt(clocks[client]!, to: &out)
        }
        return out
    }
}
