/// A document's content as one merged update held in memory, the way a y-websocket server keeps
/// it: updates are merged struct by struct without building the document, and what a peer lacks
/// is cut from it by its state vector. Only update format v1 is read and written.
public struct YDocumentState: Sendable {
    /// The structs of each client.
    private var clients: [UInt64: YClientStructs] = [:]
    /// Every deletion received.
    private var deletions = YDeleteSet()

    /// An empty document.
    public init() {}

    /// Whether the document holds no struct and no deletion.
    public var isEmpty: Bool { clients.isEmpty && deletions.isEmpty }

    /// How many structs the merged document holds (gaps included).
    public var structCount: Int { clients.values.reduce(0) { $0 + $1.count } }

    /// How many bytes the encoded structs take, about the size of `encode()`.
    public var byteCount: Int { clients.values.reduce(0) { $0 + $1.bytes.count } }

    /// Adds an update; returns false when it brought nothing new. Malformed input throws and
    /// leaves the state unchanged.
    @discardableResult
    public mutating func apply(_ update: [UInt8]) throws(YUpdateError) -> Bool {
        let reader = try YUpdateReader(update)
        var changed = false
        for block in reader.blocks where block.structs.contains(where: { $0.kind != .skip && $0.length > 0 }) {
            if clients[block.client, default: YClientStructs()].add(block.structs[...], client: block.client, source: update) {
                changed = true
            }
        }
        for deletion in reader.deletions where deletions.insert(client: deletion.client, clock: deletion.clock, length: deletion.length) {
            changed = true
        }
        return changed
    }

    /// How far each client's history is held without gaps.
    public var stateVector: YStateVector {
        var clocks: [UInt64: UInt64] = [:]
        for (client, structs) in clients {
            let clock = structs.contiguousEnd
            if clock > 0 { clocks[client] = clock }
        }
        return YStateVector(clocks)
    }

    /// The whole document, or what a peer at `stateVector` lacks, as one update (format v1):
    /// the structs past the peer's clocks, clients in descending order, and every deletion.
    public func encode(since stateVector: YStateVector = YStateVector()) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(stateVector.clocks.isEmpty ? byteCount + 16 : 64)
        var written = 0
        for client in clients.keys.sorted(by: >) where clients[client]!.write(client: client, since: stateVector[client], to: &body) {
            written += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 8)
        Lib0Writer.writeVarUInt(UInt64(written), to: &out)
        out.append(contentsOf: body)
        deletions.write(to: &out)
        return out
    }
}
