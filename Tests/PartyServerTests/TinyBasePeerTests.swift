import Foundation
import PartyTinyBase
import Testing

/// The synchronizer peer: stores converging through the exchange of messages, as text payloads
/// routed in memory the way TinyBase's WebSocket server routes them, and its bookkeeping.
@Suite("TinyBase sync: the synchronizer peer")
struct TinyBasePeerTests {
    static let t0: Int64 = 1_735_689_600_000

    @Test("Two clients and the server's store converge to identical content and hashes")
    func converge() throws {
        var network = TinyBaseNetwork(now: Self.t0)
        network.addClient("A", fragmentSize: 64)
        network.addClient("B")
        // Changes made before starting are not sent; starting announces them.
        #expect(network.peers["A"]!.setCell("pets", "fido", "species", .string("dog"), now: Self.t0).isEmpty)
        _ = network.peers["B"]!.setCell("pets", "felix", "species", .string("cat"), now: Self.t0)
        _ = network.peers["B"]!.setCell("pets", "fido", "legs", .number(4), now: Self.t0)
        _ = network.peers["B"]!.setValue("open", .boolean(true), now: Self.t0)
        _ = network.peers["S"]!.setValue("server", .string("yes"), now: Self.t0)
        for id in ["S", "A", "B"] { try network.start(id) }
        try network.expectConverged(["S", "A", "B"])
        #expect(network.peers["S"]!.store.cell("pets", "fido", "species") == .string("dog"))
        #expect(network.peers["A"]!.store.value("open") == .boolean(true))
        #expect(network.peers["B"]!.store.value("server") == .string("yes"))
        // The pulls went down the tree to the cells of a row both had.
        #expect(Set(network.typeCounts.keys) == [0, 1, 2, 4, 5, 6, 7], "\(network.typeCounts)")
        #expect(network.peers["A"]!.store.cell("pets", "fido", "legs") == .number(4))

        // Concurrent edits of one cell at the same millisecond: the later HLC wins everywhere.
        network.now += 100
        try network.change("A") { $0.setCell("pets", "fido", "color", .string("brown"), now: $1) }
        try network.change("B") { $0.setCell("pets", "fido", "color", .string("black"), now: $1) }
        try network.change("S") { $0.deleteValue("server", now: $1) }
        try network.change("A") { $0.deleteCell("pets", "felix", "species", now: $1) }
        try network.run()
        try network.expectConverged(["S", "A", "B"])
        // Both stamped this millisecond with counter 0: the client part decides.
        let aWins = TinyBaseHLC.sortsAfter(TinyBaseHLC.clientPart(uniqueId: "A"), TinyBaseHLC.clientPart(uniqueId: "B"))
        #expect(network.peers["S"]!.store.cell("pets", "fido", "color") == .string(aWins ? "brown" : "black"))
        #expect(network.peers["B"]!.store.value("server") == nil)
        #expect(network.peers["B"]!.store.cell("pets", "felix", "species") == nil)
        #expect(network.typeCounts[3, default: 0] > 0)

        // A client joining late with nothing pulls everything from whoever answers first.
        network.addClient("C")
        try network.start("C")
        try network.expectConverged(["S", "A", "B", "C"])
        #expect(network.peers["C"]!.store.cell("pets", "fido", "species") == .string("dog"))
        // Only requests nobody answered are left (GetContentHashes sent before anyone had
        // started); they expire after a second.
        network.now += 1000
        for id in ["S", "A", "B", "C"] {
            #expect(network.peers[id]!.expire(now: network.now).isEmpty)
            #expect(network.peers[id]!.pendingRequestCount == 0 && network.peers[id]!.pullCount == 0)
        }
    }

    @Test("Answers carry the request id; responses from another client and unmarked diffs are ignored")
    func answersAndIgnores() throws {
        var server = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: "S"), seed: 7)
        // Before start it answers diffs, but not GetContentHashes.
        #expect(server.receive(try .parse(#"["x",1,""]"#), from: "A", now: 0).isEmpty)
        let early = server.receive(try .parse(#"["y",7,{}]"#), from: "A", now: 0)
        #expect(early.map(\.message.text) == [#"["y",0,[{}]]"#])
        let started = server.start(now: 0)
        #expect(started.map { $0.message.type } == [1, 2])
        #expect(started.allSatisfy { $0.to == nil })
        #expect(started[1].message.text == #"[null,2,[0,0]]"#)

        // ContentHashes that differ start a pull from that client.
        let hlc = TinyBaseHLC.encode(logicalTime: 5, counter: 0, clientPart: "AAAAA")
        let pull = server.receive(try .parse(#"[null,2,[123,0]]"#), from: "A", now: 10)
        #expect(pull.count == 1 && pull[0].to == "A" && pull[0].message.type == 4)
        let requestId = try #require(pull[0].message.requestId)
        // The same hashes again while pulling: nothing new.
        #expect(server.receive(try .parse(#"[null,2,[123,0]]"#), from: "A", now: 11).isEmpty)
        // An answer from someone else is ignored.
        let answer = #"["\#(requestId)",0,[[{"t":[{"r":[{"c":[1,"\#(hlc)"]}]}]}],{}]]"#
        #expect(server.receive(try .parse(answer), from: "B", now: 12).isEmpty)
        #expect(server.store.cell("t", "r", "c") == nil)
        // The pull done, the store's hashes differ from A's: A is told them, so that it pulls.
        let told = server.receive(try .parse(answer), from: "A", now: 13)
        #expect(server.store.cell("t", "r", "c") == .number(1))
        #expect(told.map(\.to) == ["A"])
        #expect(told.map(\.message.text) == ["[null,2,[\(server.store.contentHashes.tables),0]]"])
        #expect(server.pendingRequestCount == 1 && server.pullCount == 1)  // only the start's GetContentHashes

        // A ContentDiff without its trailing 1 is not merged; with it, it is.
        let diff = #"[[{"t":[{"r":[{"d":[2,"\#(hlc)"]}]}]}],[{}]"#
        _ = server.receive(try .parse("[null,3," + diff + "]]"), from: "B", now: 14)
        #expect(server.store.cell("t", "r", "d") == nil)
        _ = server.receive(try .parse("[null,3," + diff + ",1]]"), from: "B", now: 15)
        #expect(server.store.cell("t", "r", "d") == .number(2))
        #expect(server.revision == 2)  // the pulled cell and the merged diff

        // The server's own change goes to everyone as a ContentDiff.
        let own = server.setCell("t", "r", "e", .string("x"), now: 20)
        #expect(own.count == 1 && own[0].to == nil && own[0].message.type == 3)
        #expect(server.setCell("t", "r", "e", .string("x"), now: 21).isEmpty)
    }

    @Test("A client that missed a change (dropped while it loaded) gets it after announcing its hashes")
    func missedChange() throws {
        var network = TinyBaseNetwork(now: Self.t0)
        network.addClient("A")
        network.addClient("B")
        for id in ["S", "A", "B"] { try network.start(id) }
        // B's change reaches S but not A.
        network.deaf = ["A"]
        try network.change("B") { $0.setCell("pets", "felix", "species", .string("cat"), now: $1) }
        try network.run()
        #expect(network.peers["A"]!.store.cell("pets", "felix", "species") == nil)
        #expect(network.peers["S"]!.store.cell("pets", "felix", "species") == .string("cat"))
        // A announces its hashes, as a client does once its first load is done. S and B pull from
        // it; S, seeing that A lacks something, tells A its own hashes, and A pulls.
        network.deaf = []
        let hashes = network.peers["A"]!.store.contentHashes
        network.send(from: "A", [TinyBaseOutgoing(to: nil, TinyBaseMessage(requestId: nil, body: .contentHashes(hashes)))])
        try network.run()
        try network.expectConverged(["S", "A", "B"])
        #expect(network.peers["A"]!.store.cell("pets", "felix", "species") == .string("cat"))
        // Announcing the same hashes as the store's sends nothing back.
        let settled = network.delivered
        let same = network.peers["A"]!.store.contentHashes
        network.send(from: "A", [TinyBaseOutgoing(to: "S", TinyBaseMessage(requestId: nil, body: .contentHashes(same)))])
        try network.run()
        #expect(network.delivered == settled + 2, "A's payload reached the server and S; nothing came back")
    }

    @Test("An unanswered request times out after a second and the server pulls from anyone instead")
    func timeouts() throws {
        var server = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: "S"), seed: 3)
        _ = server.start(now: 0)
        #expect(server.expire(now: 999).isEmpty)
        #expect(server.expire(now: 1000).isEmpty)  // the start's GetContentHashes: dropped quietly
        let pull = server.receive(try .parse(#"[null,2,[1,2]]"#), from: "A", now: 2000)
        #expect(pull.map { $0.message.type } == [4])
        #expect(server.expire(now: 2999).isEmpty)
        let reload = server.expire(now: 3000)
        #expect(reload.count == 1 && reload[0].to == nil && reload[0].message.type == 1)
        #expect(server.pendingRequestCount == 1)
    }

    @Test("At most 100 requests wait; the oldest is dropped")
    func pendingLimit() throws {
        var server = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: "S"), seed: 5)
        _ = server.start(now: 0)
        for index in 0..<150 {
            _ = server.receive(try .parse(#"[null,2,[\#(index + 1),0]]"#), from: "client\(index)", now: 1)
        }
        #expect(server.pendingRequestCount == TinyBaseSynchronizerPeer.maxPendingRequests)
        #expect(server.droppedRequests == 51)
        #expect(server.pullCount == 100)
    }
}
