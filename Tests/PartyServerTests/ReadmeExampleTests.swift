import PartyServer
import PartyServerTesting
import Foundation
import Testing

/// The `Chat` server type from README.md, kept here so the example keeps compiling and working.
private actor ReadmeChat: Server {
    let room: Room
    init(room: Room) { self.room = room }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "welcome to \(room.name), \(connection.id)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        room.broadcast(message, excluding: connection)
    }

    func onRequest(_ request: Request) async throws -> Response {
        .json(["room": room.name, "online": "\(room.connections().count)"])
    }
}

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the README's Chat welcomes, relays to others, and answers HTTP")
    func chatRelays() async throws {
        try await PartyTestServer.withServer({ try $0.register(ReadmeChat.self, as: "chat") }) { server in
            let alice = try await server.webSocket("/parties/chat/lobby?_pk=alice")
            let bob = try await server.webSocket("/parties/chat/lobby?_pk=bob")
            #expect(try await alice.nextText() == "welcome to lobby, alice")
            #expect(try await bob.nextText() == "welcome to lobby, bob")
            try await alice.send(text: "hi")
            #expect(try await bob.nextText() == "hi")
            let info = try await server.request("GET", "/parties/chat/lobby")
            #expect(info.text == #"{"online":"2","room":"lobby"}"#)
        }
    }
}

@Suite("README durable example")
struct ReadmeDurableExampleTests {
    @Test("the README's Notes counts durably, sets an alarm an hour ahead, and the alarm clears its storage")
    func notesCountAndAlarm() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration()
        configuration.clock = clock
        try await PartyTestServer.withServer(configuration: configuration, { try $0.register(ReadmeNotes.self, as: "notes") }) { server in
            let socket = try await server.webSocket("/parties/notes/readme")
            try await socket.send(text: "x")
            #expect(try await socket.nextText() == "saved 1")
            try await socket.send(text: "x")
            #expect(try await socket.nextText() == "saved 2")
            clock.advance(by: .seconds(3601))
            try await waitUntil("the alarm ran and cleared the count") { server.application.registry?.services.alarms.count == 0 }
            try await socket.send(text: "x")
            #expect(try await socket.nextText() == "saved 1")
        }
    }
}
