import Foundation
import PartyTinyBase
import Testing

/// PartyTinyBase's hashes, HLCs, store merge rules and wire format against TinyBase: the
/// examples in TinyBase's documentation, and golden vectors (`Fixtures/tinybase-vectors.json`)
/// from `Tests/Python/tinybase_vectors.py`, a separate re-implementation of the same rules that
/// checks itself against those documented examples before printing.
@Suite("TinyBase core: hashes, HLCs, mergeable store")
struct TinyBaseCoreTests {
    // MARK: TinyBase's documented examples

    @Test("Hashes match the examples in TinyBase's documentation")
    func documentedHashes() {
        let cell = TinyBaseHash.valueHash(.string("dog"), hlc: "03E3B------mmxrx")
        #expect(cell == 3_002_200_796)
        #expect(TinyBaseHash.childHash(id: "species", hash: cell) == 3_777_304_796)
        #expect(TinyBaseHash.cellsHash([("species", cell)]) == 1_810_444_343)
        #expect(TinyBaseHash.rowsHash([("fido", 1_810_444_343)]) == 4_262_151_841)
        #expect(TinyBaseHash.rowsHash([("pets", 4_262_151_841)]) == 278_115_833)
        let value = TinyBaseHash.valueHash(.number(42), hlc: "03E3B------mmxrx")
        #expect(value == 312_420_374)
        #expect(TinyBaseHash.childHash(id: "meaningOfLife", hash: value) == 330_198_963)
        #expect(TinyBaseHash.cellsHash([("meaningOfLife", value)]) == 4_229_195_646)
        #expect(TinyBaseHash.valueHash(.number(4), hlc: "") == 2_414_055_963)
    }

    @Test("A store made as in TinyBase's getMergeableContent example has its content, HLCs and hashes")
    func documentedStore() throws {
        let time: Int64 = 1_704_067_200_000
        #expect(TinyBaseHLC.decode("Nn1JUF-----FnHIC") == (time, 0, "FnHIC"))
        var store = TinyBaseMergeableStore(uniqueId: "store1")
        let made = store.setCell("pets", "fido", "color", .string("brown"), now: time)
        let changes = try #require(made)
        #expect(TinyBaseWireCoding.json(changes).text == #"[[{"pets":[{"fido":[{"color":["brown","Nn1JUF-----FnHIC"]}]}]}],[{}],1]"#)
        #expect(store.mergeableContentJSON.text
            == #"[[{"pets":[{"fido":[{"color":["brown","Nn1JUF-----FnHIC",923684530]},"",851131566]},"",518810247]},"",784336119],[{},"",0]]"#)
        _ = store.setValue("open", .boolean(true), now: time)
        #expect(store.contentHashes == TinyBaseContentHashes(tables: 784_336_119, values: 2_829_789_038))
        #expect(store.valueHashes == TinyBaseHashes([("open", 3_860_530_645)]))
    }

    // MARK: Golden vectors

    @Test("String hashes (FNV-1a over UTF-8), including non-ASCII and emoji")
    func stringHashes() throws {
        for vector in try TinyBaseVectors.load().hashes {
            #expect(TinyBaseHash.hash(vector.string) == vector.hash, "\(vector.string.prefix(20))")
        }
    }

    @Test("Cell and value hashes: JSON of the value (deleted as null), ':', the HLC")
    func valueHashes() throws {
        for vector in try TinyBaseVectors.load().valueHashes {
            let value = try TinyBaseValue(json: TinyBaseJSONParser.parse(vector.value))
            #expect(TinyBaseHash.valueHash(value, hlc: vector.hlc) == vector.hash, "\(vector.value) at \(vector.hlc)")
        }
    }

    @Test("Numbers print as JavaScript prints them")
    func numbers() throws {
        for vector in try TinyBaseVectors.load().numbers {
            let parsed = try TinyBaseJSONParser.parse(vector.json)
            #expect(parsed.text == vector.text, "\(vector.json)")
        }
    }

    @Test("HLCs encode and decode: 42-bit time, 24-bit counter, 30-bit client hash")
    func hlcs() throws {
        for vector in try TinyBaseVectors.load().hlcs {
            #expect(TinyBaseHLC.clientPart(uniqueId: vector.uniqueId) == vector.clientPart)
            let hlc = TinyBaseHLC.encode(logicalTime: vector.time, counter: vector.counter, clientPart: vector.clientPart)
            #expect(hlc == vector.hlc)
            #expect(TinyBaseHLC.isWellFormed(hlc))
            #expect(TinyBaseHLC.decode(hlc) == (vector.time, vector.counter, vector.clientPart))
        }
        #expect(!TinyBaseHLC.isValid("too short") && !TinyBaseHLC.isValid("Nn1JUF-----FnHI!") && TinyBaseHLC.isValid(""))
    }

    @Test("The clock: never backwards, follows remote HLCs, ignores those over 5 minutes ahead")
    func clock() throws {
        let scenario = try TinyBaseVectors.load().clock
        var clock = TinyBaseHLC.Clock(uniqueId: scenario.uniqueId)
        for (index, step) in scenario.steps.enumerated() {
            if let seen = step.seen {
                clock.seen(seen, now: step.now)
            } else {
                #expect(clock.next(now: step.now) == step.hlc, "step \(index)")
            }
        }
    }

    @Test("A store merges changes, makes its own and answers diffs exactly as the reference")
    func storeScenario() throws {
        let scenario = try TinyBaseVectors.load().store
        var store = TinyBaseMergeableStore(uniqueId: scenario.uniqueId)
        for (index, step) in scenario.steps.enumerated() {
            if let apply = step.apply {
                let message = try TinyBaseMessage.parse(#"[null,3,"# + apply + "]")
                guard case .contentDiff(let changes, true) = message.body else { Issue.record("step \(index)"); continue }
                #expect(store.apply(changes, now: step.now) == step.changed, "step \(index)")
            } else if let set = step.setCell {
                let value = try TinyBaseValue(json: TinyBaseJSONParser.parse(set[3]))
                let changes = store.setCell(set[0], set[1], set[2], value, now: step.now)
                #expect(changes.map { TinyBaseWireCoding.json($0).text } == step.changes ?? nil, "step \(index)")
            } else if let set = step.setValue {
                let value = try TinyBaseValue(json: TinyBaseJSONParser.parse(set[1]))
                let changes = store.setValue(set[0], value, now: step.now)
                #expect(changes.map { TinyBaseWireCoding.json($0).text } == step.changes ?? nil, "step \(index)")
            }
            #expect([store.contentHashes.tables, store.contentHashes.values] == step.contentHashes, "step \(index)")
        }
        #expect(store.mergeableContentJSON.text == scenario.mergeableContent)
        #expect(TinyBaseWireCoding.json(store.tableHashes).text == scenario.tableHashes)
        #expect(TinyBaseWireCoding.json(store.valueHashes).text == scenario.valueHashes)
        let rowHashes = store.rowHashes(TinyBaseHashes([("pets", 0), ("10", 0)]))
        #expect(TinyBaseWireCoding.json(rowHashes).text == scenario.rowHashes)
        let cellHashes = store.cellHashes(TinyBaseRowHashes([("pets", TinyBaseHashes([("fido", 0), ("felix", 0)])), ("10", TinyBaseHashes([("2", 0)]))]))
        #expect(TinyBaseWireCoding.json(cellHashes).text == scenario.cellHashes)

        // The peer answers each request with the reference's response, under the request id.
        var peer = TinyBaseSynchronizerPeer(store: store, seed: 1)
        _ = peer.start(now: 0)
        for query in scenario.queries {
            let request = try TinyBaseMessage.parse(#"["q1",\#(query.type),\#(query.body)]"#)
            let out = peer.receive(request, from: "client", now: 0).filter { $0.message.type == 0 }
            #expect(out.count == 1)
            #expect(out.first?.to == "client")
            #expect(out.first?.message.text == #"["q1",0,"# + query.response + "]", "type \(query.type) body \(query.body)")
        }

        // Whole content round-trips through encoded() and init(decoding:).
        let restored = try TinyBaseMergeableStore(decoding: store.encoded(), uniqueId: scenario.uniqueId, now: 1_735_689_600_200)
        // (Read back in JavaScript's key order, as TinyBase's JSON.parse would; the text is the same.)
        #expect(restored.mergeableContentJSON.text == store.mergeableContentJSON.text)
        #expect(restored.contentHashes == store.contentHashes)
    }

    @Test("Last writer wins by HLC; ties keep the first; an empty HLC loses to any")
    func lastWriterWins() throws {
        var store = TinyBaseMergeableStore(uniqueId: "s")
        func change(_ value: String, _ hlc: String) throws -> TinyBaseChanges {
            let message = try TinyBaseMessage.parse(#"[null,3,[[{"t":[{"r":[{"c":["\#(value)","\#(hlc)"]}]}]}],[{}],1]]"#)
            guard case .contentDiff(let changes, _) = message.body else { throw TinyBaseProtocolError.invalidMessage("") }
            return changes
        }
        let older = TinyBaseHLC.encode(logicalTime: 1000, counter: 0, clientPart: "zzzzz")
        let newer = TinyBaseHLC.encode(logicalTime: 1000, counter: 1, clientPart: "-----")
        #expect(store.apply(try change("new", newer), now: 1000))
        #expect(!store.apply(try change("old", older), now: 1000))
        #expect(store.cell("t", "r", "c") == .string("new"))
        #expect(!store.apply(try change("same stamp", newer), now: 1000))
        #expect(store.cell("t", "r", "c") == .string("new"))
        var fresh = TinyBaseMergeableStore(uniqueId: "s")
        fresh.apply(try change("default", ""), now: 0)
        #expect(fresh.apply(try change("stamped", older), now: 1000))
        #expect(fresh.cell("t", "r", "c") == .string("stamped"))
        // A delete is a newer stamp with undefined: the cell reads as absent, its tombstone stays.
        #expect(store.apply(try change("\u{FFFC}", TinyBaseHLC.encode(logicalTime: 2000, counter: 0, clientPart: "-----")), now: 2000))
        #expect(store.cell("t", "r", "c") == nil)
        #expect(store.tables.thing["t"]?.thing["r"]?.thing["c"]?.thing == .undefined)
        #expect(store.content.tables.isEmpty)
    }

    @Test("Importing content refuses malformed JSON with a typed error")
    func importRejectsMalformed() {
        for text in ["", "[]", #"[[{},"",0]]"#, #"[[{},"",-1],[{},"",0]]"#, #"[[{},"bad hlc",0],[{},"",0]]"#,
                     #"[[{"t":[{"r":[{"c":[{"raw":1},"",0]},"",0]},"",0]},"",0],[{},"",0]]"#,
                     #"[[{"t":[{},"",0,1]},"",0],[{},"",0]]"#] {
            #expect(throws: TinyBaseProtocolError.self, "\(text)") {
                try TinyBaseMergeableStore(decoding: Data(text.utf8), uniqueId: "s", now: 0)
            }
        }
    }

    @Test("TinyBaseValue is Codable as the JSON TinyBase sends")
    func valueCodable() throws {
        let values: [TinyBaseValue] = [.string("a"), .number(1.5), .boolean(false), .null, .undefined]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([TinyBaseValue].self, from: data) == values)
        #expect(try JSONDecoder().decode([TinyBaseValue].self, from: Data(#"["\ufffc",null,3]"#.utf8)) == [.undefined, .null, .number(3)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TinyBaseValue].self, from: Data(#"[{"a":1}]"#.utf8)) }
    }
}
