import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Testing

extension RoomCallTests {
    @Test("a call wakes a hibernated target, which starts again from its stored state")
    func wakesHibernatedTarget() async throws {
        let harness = try CallHarness()
        let name = uniqueRoom("ledger")
        let ledger = harness.caller().stub(for: Ledger.self, named: name)
        #expect(try await ledger.call(.add(7)).total == 7)
        let slot = try #require(harness.ledgerSlot(name))
        #expect(await slot.hibernateNow())
        #expect(slot.lifecycleState == .hibernated)
        #expect(slot.liveInstance == nil)

        #expect(try await ledger.call(.add(1)).total == 8)
        #expect(Recorder.shared.count(name, "start") == 2)
        #expect(harness.ledgerSlot(name)?.lifecycleState == .live)
        await harness.close()
    }

    @Test("when a call returns, the callee's writes are durable: a second engine on the directory reads them")
    func writesDurableOnReturn() async throws {
        let fixture = StorageFixture()
        defer { fixture.remove() }
        let harness = try CallHarness(directory: fixture.directory)
        let name = uniqueRoom("ledger")
        let ledger = harness.caller().stub(for: Ledger.self, named: name)
        let reader = try fixture.open()
        for amount in 1...5 {
            let total = try await ledger.call(.add(amount)).total
            #expect(try await reader.room(name, server: "ledger").get("total", as: Int.self) == total)
            _ = try await ledger.fetch(.post, path: "/store", body: ByteBuffer(string: "note \(amount)"))
            #expect(try await reader.room(name, server: "ledger").get("note", as: String.self) == "note \(amount)")
        }
        await reader.close()
        await harness.close()
    }
}
