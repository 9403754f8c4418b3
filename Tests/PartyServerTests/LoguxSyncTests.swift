import Foundation
import PartyLogux
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// Actions between Logux clients through a room: channels, undo, resending after a reconnect,
/// addressing by user, and log cleaning.
@Suite("Logux sync")
struct LoguxSyncTests {
    static let increment = #"{"type":"counter/increment"}"#
    static let subscribe = #"{"type":"logux/subscribe","channel":"counter"}"#

    func withRooms(_ body: (PartyTestServer) async throws -> Void) async throws {
        try await PartyTestServer.withServer({
            try ReadyMadeRooms.register(in: $0)
            try $0.register(LoguxNotes.self, as: "notes")
            try $0.register(Todos.self, as: "todos")
        }, body)
    }

    @Test("README's Todos: an added todo reaches subscribers and is in the list a new subscriber loads; clear is denied to non-admins")
    func readmeTodos() async throws {
        try await withRooms { server in
            let path = "/parties/todos/\(uniqueRoom("lx"))"
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            let bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            try await bob.sync([#"{"type":"logux/subscribe","channel":"todos"}"#], added: 1, sequence: 0)
            #expect(try await bob.receive(2).map(\.type) == ["todo/list", "logux/processed"])
            try await alice.sync([#"{"type":"todo/add","text":"milk"}"#, #"{"type":"todo/clear"}"#], added: 1, sequence: 0)
            let answers = try await alice.receive(2)
            #expect(answers.map(\.type) == ["logux/processed", "logux/undo"])
            #expect(answers[1].action["reason"]?.stringValue == "denied")
            let added = try await bob.receive(1)
            #expect(added.map { $0.action["text"]?.stringValue } == ["milk"])
            let carol = try await LoguxClient.connect(port: server.port, path: path, node: "carol:1:c")
            try await carol.sync([#"{"type":"logux/subscribe","channel":"todos"}"#], added: 1, sequence: 0)
            let list = try await carol.receive(2)
            #expect(list.first?.action["texts"]?.arrayValue?.compactMap(\.stringValue) == ["milk"])
            for client in [alice, bob, carol] { try await client.close() }
        }
    }

    @Test("two subscribers: an increment reaches the other once, the sender gets processed; a denied action is undone and never reaches the other")
    func twoClients() async throws {
        try await withRooms { server in
            let path = "/parties/logux/\(uniqueRoom("lx"))"
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            let bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            for client in [alice, bob] {
                try await client.sync([Self.subscribe], added: 1, sequence: 0)
                let loaded = try await client.receive(2)
                #expect(loaded.map(\.type) == ["counter/set", "logux/processed"])
            }
            let id = try await alice.add(Self.increment, added: 2, sequence: 1)
            try await alice.sync([#"{"type":"counter/reset"}"#], added: 3, sequence: 2)
            let toAlice = try await alice.receive(2)
            #expect(toAlice.map(\.type) == ["logux/processed", "logux/undo"])
            #expect(toAlice[0].action["id"]?.stringValue == id)
            try await alice.add(Self.increment, added: 4, sequence: 3)
            let toBob = try await bob.receive(2)
            #expect(toBob.map(\.type) == ["counter/increment", "counter/increment"])
            #expect(toBob[0].id == id)
            #expect(Set(toBob.map(\.id)).count == 2)
            // Nothing else is on its way to Bob: a ping is answered before anything else.
            try await bob.socket.send(text: #"["ping",0]"#)
            #expect(try await bob.next().first?.stringValue == "pong")
            try await alice.close()
            try await bob.close()
        }
    }

    @Test("a subscriber away during 100 actions gets all 100 once after reconnecting, and nothing again the time after")
    func offlineSubscriber() async throws {
        try await withRooms { server in
            let path = "/parties/logux/\(uniqueRoom("lx"))"
            var bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            try await bob.sync([Self.subscribe], added: 1, sequence: 0)
            let first = try await bob.receive(2)
            let bobSynced = first.map(\.added).max() ?? 0
            try await bob.close()
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            var ids: [String] = []
            for index in 0..<100 {
                ids.append(try await alice.add(Self.increment, added: index + 1, sequence: index))
            }
            bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b", synced: bobSynced)
            let missed = try await bob.receive(100)
            #expect(missed.map(\.id) == ids)
            #expect(missed.allSatisfy { $0.type == "counter/increment" })
            let newest = missed.map(\.added).max() ?? 0
            try await bob.socket.send(text: #"["ping",0]"#)
            #expect(try await bob.next().first?.stringValue == "pong")
            try await bob.close()
            bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b", synced: newest)
            try await bob.socket.send(text: #"["ping",0]"#)
            #expect(try await bob.next().first?.stringValue == "pong", "nothing is resent to a node that has it all")
            try await bob.close()
            try await alice.close()
        }
    }

    @Test("a custom type: deny with a reason, a throwing process, a denied channel, actions addressed to a user and from the server")
    func customType() async throws {
        try await withRooms { server in
            let room = uniqueRoom("lx")
            let path = "/parties/notes/\(room)"
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            let bobTab = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            let bobOtherTab = try await LoguxClient.connect(port: server.port, path: path, node: "bob:2:c")
            try await alice.sync([
                #"{"type":"note/secret"}"#, #"{"type":"note/fail"}"#, #"{"type":"logux/subscribe","channel":"private"}"#,
                #"{"type":"note/to-user","user":"bob"}"#,
            ], added: 1, sequence: 0)
            let answers = try await alice.receive(4)
            #expect(answers.map(\.type) == ["logux/undo", "logux/undo", "logux/undo", "logux/processed"])
            #expect(answers.prefix(3).compactMap { $0.action["reason"]?.stringValue } == ["denied", "error", "denied"])
            for tab in [bobTab, bobOtherTab] {
                #expect(try await tab.receive(1).map(\.type) == ["note/to-user"])
            }
            #expect(try await server.request("POST", "/parties/notes/\(room)?user=alice").text == "added")
            let announce = try await alice.receive(1)
            #expect(announce.map(\.type) == ["announce"])
            #expect(announce[0].id.contains(" server:"))
            for client in [alice, bobTab, bobOtherTab] { try await client.close() }
        }
    }

    @Test("the log keeps the last actions of a channel and drops what every node has")
    func cleaning() async throws {
        try await withRooms { server in
            let room = uniqueRoom("lx")
            let path = "/parties/notes/\(room)"
            var bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            try await bob.sync([#"{"type":"logux/subscribe","channel":"notes"}"#], added: 1, sequence: 0)
            let subscribed = try await bob.receive(2)
            try await bob.close()
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            var ids: [String] = []
            for index in 0..<30 {
                ids.append(try await alice.add(#"{"type":"note/add"}"#, added: index + 1, sequence: index))
            }
            _ = try await alice.receive(30)
            // Bob is away: only the channel's last 5 stay for him.
            bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b", synced: subscribed.map(\.added).max() ?? 0)
            let missed = try await bob.receive(5)
            #expect(missed.map(\.id) == Array(ids.suffix(5)))
            try await bob.socket.send(text: #"["ping",0]"#)
            #expect(try await bob.next().first?.stringValue == "pong")
            // Everyone has everything now: the next cleaning empties the log.
            for index in 30..<40 {
                try await alice.add(#"{"type":"note/to-user","user":"carol"}"#, added: index + 1, sequence: index)
            }
            _ = try await alice.receive(10)
            // 82 actions were added and 25 trimmed from the channel; the cleanings every 10
            // actions removed everything both nodes had by then.
            let automatic = try await server.request("GET", path).text
            let entries = Int(automatic.split(separator: " ")[0].dropFirst("entries=".count)) ?? -1
            #expect((1...20).contains(entries), "\(automatic)")
            // Once both have acknowledged everything, a cleaning leaves nothing.
            let counts = try await eventually("the log is cleaned") {
                let text = try await server.request("POST", path + "?clean=1").text
                return text.hasPrefix("entries=0 ") ? .done(text) : .pending(text)
            }
            #expect(counts.hasSuffix("nodes=2"))
            try await bob.close()
            try await alice.close()
        }
    }
}
