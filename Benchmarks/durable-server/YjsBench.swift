import PartyServer
import PartyYjs

/// The Yjs rooms of the Yjs document benchmarks (`Benchmarks/run-yjs`), all `YServer`s that
/// hibernate only after 60 idle seconds (the wake measured is a server restart):
///
/// - `yjs-bench` (`YjsBenchRoom`): the ready-made `yjs` room's behaviour, default `YjsOptions`
///   (stored updates merged into a snapshot past 500 updates or 1 MiB).
/// - `yjs-nocompact` (`YjsNoCompactRoom`): the same with compaction off
///   (`compactAfterUpdates` and `compactAfterBytes` `Int.max`): every update stays a key of its own.
/// - `yjs-seeded` (`YjsSeededRoom`): a room whose name says what it starts with
///   (`YjsSeed`): `chars-N` is one client that typed N characters one at a time, `paras-N` one
///   client that typed N paragraphs of 100 characters; stored through `yjsApply` in pieces, then
///   compacted like `yjs-bench`.
enum YjsBenchRooms {
    /// Hibernates after 60 idle seconds.
    static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(60)) }
}

/// `yjs-bench`: default `YjsOptions`.
actor YjsBenchRoom: YServer {
    static var options: ServerOptions { YjsBenchRooms.options }
    let room: Room
    var yjs = YjsState()
    init(room: Room) { self.room = room }
}

/// `yjs-nocompact`: stored updates are never merged.
actor YjsNoCompactRoom: YServer {
    static var options: ServerOptions { YjsBenchRooms.options }
    static var yjsOptions: YjsOptions { YjsOptions(compactAfterUpdates: .max, compactAfterBytes: .max) }
    let room: Room
    var yjs = YjsState()
    init(room: Room) { self.room = room }
}

/// `yjs-seeded`: an empty room is filled from its name (`YjsSeed`) when it first starts.
actor YjsSeededRoom: YServer {
    static var options: ServerOptions { YjsBenchRooms.options }
    let room: Room
    var yjs = YjsState()
    init(room: Room) { self.room = room }

    /// Loads the document; fills an empty one from the room's name, piece by piece (each piece is
    /// one stored update, so none is over the storage's value limit).
    func onStart() async throws {
        try await yjsStart()
        guard yjs.document.isEmpty, let seed = YjsSeed(name: room.name) else { return }
        for piece in seed.pieces() { try await yjsApply(piece, from: nil) }
    }
}

/// A document made by one client typing, described by a room name: `chars-N` (N characters,
/// one struct each, as N one-character updates leave them) or `paras-N` (N inserts of 100
/// characters). The client id is a five-byte varuint, as most random Yjs client ids are.
struct YjsSeed {
    static let client: UInt64 = 3_000_000_000
    /// Characters per insert.
    let insertLength: Int
    /// Inserts.
    let count: Int

    init?(name: String) {
        let parts = name.split(separator: "-")
        guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
        switch parts[0] {
        case "chars": insertLength = 1
        case "paras": insertLength = 100
        default: return nil
        }
        self.count = count
    }

    /// The document as updates of at most about 256 KiB, in clock order.
    func pieces() -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var next = 0
        let perPiece = max(1, (256 << 10) / (insertLength + 12))
        while next < count {
            let end = min(count, next + perPiece)
            pieces.append(Self.update(client: Self.client, inserts: next..<end, length: insertLength))
            next = end
        }
        return pieces
    }

    /// One update holding inserts `inserts` (of `length` characters each) of `client`: the first
    /// at the start of the root text `text`, each other after the previous one's last character.
    static func update(client: UInt64, inserts: Range<Int>, length: Int) -> [UInt8] {
        var out: [UInt8] = [1]
        varUInt(UInt64(inserts.count), &out)
        varUInt(client, &out)
        varUInt(UInt64(inserts.lowerBound * length), &out)
        for insert in inserts {
            let clock = UInt64(insert * length)
            if clock == 0 {
                out += [0x04, 1, 4] + Array("text".utf8)
            } else {
                out.append(0x84)
                varUInt(client, &out)
                varUInt(clock - 1, &out)
            }
            varUInt(UInt64(length), &out)
            for offset in 0..<length { out.append(UInt8(ascii: "a") + UInt8((insert + offset) % 26)) }
        }
        out.append(0)  // no deletions
        return out
    }

    private static func varUInt(_ value: UInt64, _ out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }
}
