import Foundation
import PartyYjs
import Testing

/// Typing kept compact: consecutive items of one client merge into one, and Yjs reads the merged
/// form exactly as the separate updates.
@Suite("Yjs merging of typed text")
struct YjsMergeTests {
    /// "hello world" typed one character an update by client 7.
    static let typed: [[UInt8]] = Array("hello world").enumerated().map { YjsWire.insert(String($1), client: 7, clock: UInt64($0)) }

    @Test("characters typed one an update are held as one item, cut back exactly where a peer's clock falls")
    func typedTextIsOneItem() throws {
        var state = YDocumentState()
        for update in Self.typed { try state.apply(update) }
        #expect(state.structCount == 1)
        #expect(state.encode() == YjsWire.insert("hello world", client: 7))
        #expect(state.encode(since: YStateVector([7: 5])) == YjsWire.insert(" world", client: 7, clock: 5))
        #expect(state.stateVector == YStateVector([7: 11]))
    }

    @Test("an item stops growing at 1 KiB of content, so a long run of typing costs no quadratic copying")
    func mergedItemsAreBounded() throws {
        var state = YDocumentState()
        for clock in 0..<5000 { try state.apply(YjsWire.insert("x", client: 3, clock: UInt64(clock))) }
        #expect(state.structCount == 5)
        #expect(state.stateVector == YStateVector([3: 5000]))
    }

    @Test("Yjs renders the merged form like the separate updates, with a concurrent insert and a deletion inside the merged item")
    func yjsReadsTheMergedForm() async throws {
        try #require(YjsRender.isInstalled, "node and Debian's node-yjs are needed: run Scripts/test")
        // Client 9 inserts "X" after "hello" (origin 7:4, no right origin: it typed at the end of
        // what it had) and "wor" (7:6..<7:9) is deleted, both referring to ticks inside the merged
        // item. Yjs orders X after client 7's run (higher client id, same origin).
        let concurrent = YjsWire.insertAfter("X", client: 9, originClient: 7, originClock: 4)
        let deletion: [UInt8] = [0, 1, 7, 1, 6, 3]
        var state = YDocumentState()
        for update in Self.typed + [concurrent, deletion] { try state.apply(update) }
        let separate = try await YjsRender.run([YjsRender.Job.render(Self.typed + [concurrent, deletion])])
        try await YjsRender.expect([
            YjsRender.Rendering("merged document", YjsRender.Job.render([state.encode()]), separate[0]),
            YjsRender.Rendering("merged diff on top of the first five characters", YjsRender.Job.render([state.encode(since: YStateVector([7: 5]))], base: YjsWire.insert("hello", client: 7)), separate[0]),
        ])
        #expect(separate[0].jsonText.contains("hello ldX"), "\(separate[0].jsonText)")
    }
}
