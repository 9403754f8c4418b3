import PartyTinyBase
import Testing

/// Peers connected in memory as TinyBase's WebSocket server connects them: each client's
/// payloads go to the server, which reads them (putting split messages together), then passes
/// each on with the sender's id as the first line — "" to every other client and the server's
/// store "S", "S" to the store only, any other id to that client. Every peer here, clients
/// included, is a `TinyBaseSynchronizerPeer`.
struct TinyBaseNetwork {
    var peers: [String: TinyBaseSynchronizerPeer] = [:]
    var fragmentSizes: [String: Int] = [:]
    var clientIds: [String] = []
    /// Decoders: the server's for each client's socket, and each peer's own.
    var serverDecoders: [String: TinyBaseReassemblyBuffer] = [:]
    var peerDecoders: [String: TinyBaseReassemblyBuffer] = [:]
    /// Payloads on their way: (to the server from a client) or (to a peer).
    var queue: [(toServerFrom: String?, toPeer: String?, payload: String)] = []
    var now: Int64
    var delivered = 0
    var messageCounter = 0
    /// How many messages of each type were delivered to a peer.
    var typeCounts: [Int: Int] = [:]
    /// Peers that hear nothing for now (what reaches them is dropped), as a TinyBase client
    /// drops what arrives during its first load.
    var deaf: Set<String> = []

    init(now: Int64) {
        self.now = now
        peers["S"] = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: "S"), seed: 99)
        peerDecoders["S"] = TinyBaseReassemblyBuffer()
    }

    mutating func addClient(_ id: String, fragmentSize: Int? = nil) {
        peers[id] = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: id), seed: UInt64(clientIds.count + 1))
        fragmentSizes[id] = fragmentSize
        clientIds.append(id)
        serverDecoders[id] = TinyBaseReassemblyBuffer()
        peerDecoders[id] = TinyBaseReassemblyBuffer()
    }

    mutating func start(_ id: String) throws {
        send(from: id, peers[id]!.start(now: now))
        try run()
    }

    mutating func change(_ id: String, _ body: (inout TinyBaseSynchronizerPeer, Int64) -> [TinyBaseOutgoing]) throws {
        send(from: id, body(&peers[id]!, now))
    }

    /// Turns a peer's messages into payloads on their way.
    mutating func send(from id: String, _ outgoing: [TinyBaseOutgoing]) {
        for item in outgoing {
            messageCounter += 1
            let messageId = String(repeating: "-", count: 8) + String(String(messageCounter + 100_000_000).suffix(8))
            let payloads = TinyBaseFrame.payloads(to: item.to, item.message, fragmentSize: fragmentSizes[id], messageId: messageId)
            for payload in payloads {
                if id == "S" {
                    route(from: "S", payload: payload)
                } else {
                    queue.append((id, nil, payload))
                }
            }
        }
    }

    /// The server passing a payload on (`handleMessage`).
    mutating func route(from sender: String, payload: String) {
        guard let (to, remainder) = try? TinyBaseFrame.split(payload) else { return }
        let forwarded = TinyBaseFrame.payload(clientId: sender, remainder: remainder)
        if to.isEmpty {
            if sender != "S" { queue.append((nil, "S", forwarded)) }
            for client in clientIds where client != sender { queue.append((nil, client, forwarded)) }
        } else if to == "S" {
            queue.append((nil, "S", forwarded))
        } else if clientIds.contains(to) {
            queue.append((nil, to, forwarded))
        }
    }

    /// Delivers everything, one payload a millisecond, until nothing is on its way.
    mutating func run() throws {
        while !queue.isEmpty {
            let (fromClient, toPeer, payload) = queue.removeFirst()
            now += 1
            delivered += 1
            try #require(delivered < 100_000, "the exchange does not settle")
            if let fromClient {
                let decoded = try serverDecoders[fromClient]!.decode(payload, now: now)
                for remainder in decoded?.remainders ?? [] {
                    route(from: fromClient, payload: TinyBaseFrame.payload(clientId: decoded!.clientId, remainder: remainder))
                }
            } else if let toPeer, !deaf.contains(toPeer), let decoded = try peerDecoders[toPeer]!.decode(payload, now: now) {
                typeCounts[decoded.message.type, default: 0] += 1
                send(from: toPeer, peers[toPeer]!.receive(decoded.message, from: decoded.clientId, now: now))
            }
        }
    }

    /// Every stamped cell and value of a store, as sortable lines.
    static func stamps(_ store: TinyBaseMergeableStore) -> [String] {
        var lines: [String] = []
        for (tableId, table) in store.tables.thing {
            lines.append("table \(tableId) \(table.hlc) \(table.hash)")
            for (rowId, row) in table.thing {
                lines.append("row \(tableId)/\(rowId) \(row.hlc) \(row.hash)")
                for (cellId, cell) in row.thing {
                    lines.append("cell \(tableId)/\(rowId)/\(cellId) \(cell.thing) \(cell.hlc) \(cell.hash)")
                }
            }
        }
        for (valueId, value) in store.values.thing {
            lines.append("value \(valueId) \(value.thing) \(value.hlc) \(value.hash)")
        }
        lines.append("hashes \(store.contentHashes)")
        return lines.sorted()
    }

    func expectConverged(_ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reference = Self.stamps(peers[ids[0]]!.store)
        for id in ids.dropFirst() {
            #expect(Self.stamps(peers[id]!.store) == reference, "\(id) differs from \(ids[0])", sourceLocation: sourceLocation)
        }
    }
}
