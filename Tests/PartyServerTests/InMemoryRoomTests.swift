import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

@Suite("In-memory rooms")
struct InMemoryRoomTests {
    @Test("a chat room relays to the other clients without sockets")
    func chatInMemory() async throws {
        let room = InMemoryRoom(Chat.self, name: "lobby")
        let alice = await room.connect(id: "alice")
        let bob = await room.connect(id: "bob")
        #expect(alice.isRegistered && bob.isRegistered)
        await alice.send(text: "hi")
        #expect(bob.received() == [.text("hi")])
        #expect(alice.received().isEmpty)
        #expect(room.room.connections().map(\.id).sorted() == ["alice", "bob"])
        await bob.close()
        #expect(room.room.connections().map(\.id) == ["alice"])
    }

    @Test("hooks run in order and a throwing hook closes only that client with 1011")
    func probeInMemory() async throws {
        let name = uniqueRoom()
        let room = InMemoryRoom(Probe.self, name: name)
        let first = await room.connect(id: "first")
        let second = await room.connect(id: "second")
        #expect(first.received() == [.text("welcome:first")])
        await first.send(text: "throw")
        #expect(first.connection.status == .closing)
        await second.send(text: "echo:fine")
        #expect(second.received() == [.text("welcome:second"), .text("fine")])
        #expect(Recorder.shared.count(name, "error first") == 1)
        #expect(Recorder.shared.count(name, "start") == 1)
        let response = try await room.request(Request(uri: "/parties/probe/\(name)/x", path: "/x"))
        #expect(response.status == .ok)
    }

    @Test("the counter counts without sockets, on an in-memory database")
    func counterInMemory() async throws {
        let room = InMemoryRoom(Counter.self)
        let client = await room.connect()
        await client.send(text: "inc")
        await client.send(text: "inc")
        #expect(client.received().compactMap(\.text) == [#"{"count":0}"#, #"{"count":1}"#, #"{"count":2}"#])
    }

    @Test("an in-memory room hibernates on request and wakes with its snapshot on the next message")
    func hibernateInMemory() async throws {
        let room = InMemoryRoom(Notebook.self, name: uniqueRoom("memory"))
        let client = await room.connect(id: "alice")
        await client.send(text: "add:a")
        #expect(await room.hibernate())
        #expect(room.isHibernated)
        await client.send(text: "add:b")
        #expect(client.received().compactMap(\.text) == ["notes:a", "notes:a,b"])
        #expect(!room.isHibernated)
        #expect(Recorder.shared.events(room.room.name).filter { !$0.hasPrefix("message") } == ["init", "start", "connect alice", "snapshot 1", "init", "restore 1", "start"])
    }
}
