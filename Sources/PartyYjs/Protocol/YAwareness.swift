/// An awareness update of y-protocols: for some clients, a clock and a JSON state (`null` when
/// the client is gone). Awareness is not part of the document and is never stored.
public struct YAwareness: Sendable, Equatable, Codable {
    /// One client's awareness.
    public struct Entry: Sendable, Equatable, Codable {
        /// Grows with every change the client makes to its state.
        public var clock: UInt64
        /// The state as JSON text; `null` when the client left.
        public var state: String

        /// An entry of `clock` and `state`.
        public init(clock: UInt64, state: String) {
            self.clock = clock
            self.state = state
        }

        /// Whether the state says the client is gone.
        public var isRemoval: Bool { state == "null" }
    }

    /// The entries by client id.
    public var clients: [UInt64: Entry]

    /// An update of `clients`.
    public init(_ clients: [UInt64: Entry] = [:]) {
        self.clients = clients
    }

    /// Reads an encoded awareness update from `bytes[range]`.
    init(decoding bytes: [UInt8], range: Range<Int>) throws(YUpdateError) {
        var reader = Lib0Reader(bytes, range: range)
        let count = try reader.readLength()
        var clients: [UInt64: Entry] = [:]
        for _ in 0..<count {
            let client = try reader.readVarUInt()
            let clock = try reader.readVarUInt()
            clients[client] = Entry(clock: clock, state: try reader.readString())
        }
        guard reader.isAtEnd else { throw .trailingBytes(offset: reader.position) }
        self.clients = clients
    }

    /// The encoded update, clients in ascending order.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        Lib0Writer.writeVarUInt(UInt64(clients.count), to: &out)
        for client in clients.keys.sorted() {
            let entry = clients[client]!
            Lib0Writer.writeVarUInt(client, to: &out)
            Lib0Writer.writeVarUInt(entry.clock, to: &out)
            Lib0Writer.writeString(entry.state, to: &out)
        }
        return out
    }
}
