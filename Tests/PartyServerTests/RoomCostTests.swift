import Foundation
@testable import PartyRuntime
@testable import PartyServer
import PartyServerTesting
import Testing

/// Structural facts that keep a room in memory cheap, hibernated ones included (their cost itself
/// is measured by `Benchmarks/run-durable --only mem`, not here).
@Suite("Room cost")
struct RoomCostTests {
    @Test("a room keeps a few connections in one array and more in an index, and finds the latest of an id either way")
    func membersGrowAndShrink() async throws {
        let room = InMemoryRoom(Bare.self, name: "members")
        var clients: [InMemoryClient] = []
        for index in 0..<RoomMembers.listLimit {
            clients.append(await room.connect(id: "c\(index)"))
        }
        let reused = await room.connect(id: "c0")
        clients.append(reused)
        // listLimit + 1 connections: the index took over.
        #expect(room.room.connectionCount == RoomMembers.listLimit + 1)
        #expect(room.room.indexesConnections)
        #expect(room.room.connection(id: "c0") === reused.connection)
        #expect(Set(room.room.connections().map(ObjectIdentifier.init)) == Set(clients.map { ObjectIdentifier($0.connection) }))

        await reused.close()
        #expect(room.room.connection(id: "c0") === clients[0].connection)
        for client in clients.dropLast() { await client.close() }
        // Empty again: the index is gone, and a new connection goes to the array.
        #expect(room.room.connectionCount == 0)
        #expect(!room.room.indexesConnections)
        let first = await room.connect(id: "again")
        let second = await room.connect(id: "again")
        #expect(!room.room.indexesConnections)
        #expect(room.room.connection(id: "again") === second.connection)
        await second.close()
        #expect(room.room.connection(id: "again") === first.connection)
        await first.close()
    }

    @Test("every room of a type shares its registration, and rare state stays out of line")
    func sharedAndOutOfLine() throws {
        let harness = try CallHarness()
        let one = harness.caller("one")
        let two = harness.caller("two")
        let slots = [RoomKey(server: "front-desk", name: "one"), RoomKey(server: "front-desk", name: "two")].compactMap {
            harness.registry.existingSlot($0)
        }
        try #require(slots.count == 2)
        #expect(slots[0].registration === slots[1].registration)
        #expect(one !== two)

        // The state every room in memory keeps: no failure record, spawn settings or the like inline.
        #expect(MemoryLayout<RoomWriteBuffer.BufferState>.size <= 128)
        #expect(MemoryLayout<RoomRecord>.size <= 80)
    }

    @Test("an out-of-line value reads back as set, nil costs nothing, and a copy keeps its own value")
    func outOfLine() {
        struct Holder {
            @OutOfLine var value: [Int]? = nil
        }
        var holder = Holder()
        #expect(holder.value == nil)
        #expect(MemoryLayout<Holder>.size == MemoryLayout<Int>.size)
        holder.value = [1, 2, 3]
        let copy = holder
        holder.value?.append(4)
        #expect(holder.value == [1, 2, 3, 4])
        #expect(copy.value == [1, 2, 3])
        holder.value = nil
        #expect(holder.value == nil)
    }
}
