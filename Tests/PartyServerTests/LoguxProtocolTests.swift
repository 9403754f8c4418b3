import Foundation
import PartyLogux
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// The Logux protocol's messages and errors against the ready-made `logux` room, over real sockets.
@Suite("Logux protocol")
struct LoguxProtocolTests {
    static let increment = #"{"type":"counter/increment"}"#

    func withRooms(configuration: PartyConfiguration = PartyConfiguration(), _ body: (PartyTestServer) async throws -> Void) async throws {
        try await PartyTestServer.withServer(configuration: configuration, {
            try ReadyMadeRooms.register(in: $0)
            try $0.register(LoguxNotes.self, as: "notes")
        }, body)
    }

    /// Opens a raw socket to a fresh `logux` room.
    func raw(_ server: PartyTestServer, _ room: String) async throws -> TestWebSocket {
        try await server.webSocket("/parties/logux/\(room)")
    }

    /// The counter of `room` as a new subscriber sees it.
    func counter(_ server: PartyTestServer, _ room: String) async throws -> Int? {
        let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(room)", node: "probe:\(UUID().uuidString.prefix(8)):t")
        try await client.sync([#"{"type":"logux/subscribe","channel":"counter"}"#], added: 1, sequence: 0)
        let actions = try await client.receive(2)
        try await client.close()
        return actions.first { $0.type == "counter/set" }?.action["value"]?.intValue
    }

    @Test("connect is answered with connected: protocol 5, the room's server node, receive and send times, subprotocol 1")
    func connected() async throws {
        try await withRooms { server in
            let before = Int(Date().timeIntervalSince1970 * 1000)
            let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(uniqueRoom("lx"))", node: "alice:1:aaaa")
            let message = try #require(client.connected.arrayValue)
            #expect(message.count == 5)
            #expect(message[1].intValue == 5)
            #expect(message[2].stringValue?.hasPrefix("server:") == true)
            let pair = message[3].arrayValue ?? []
            let times = pair.compactMap { $0.intValue }
            #expect(times.count == 2 && times[0] >= before - 1 && times[1] >= times[0])
            #expect(message[4]["subprotocol"]?.intValue == 1)
            try await client.socket.send(text: #"["ping",0]"#)
            #expect(try await client.next().map(\.jsonText) == [#""pong""#, "0"])
            try await client.close()
        }
    }

    @Test("an older protocol gets wrong-protocol, an old or missing subprotocol wrong-subprotocol; both close the socket")
    func versions() async throws {
        try await withRooms { server in
            let room = uniqueRoom("lx")
            let old = try await raw(server, room)
            try await old.send(text: #"["connect",4,"alice:1:a",0,{"subprotocol":1}]"#)
            #expect(try await old.nextText() == #"["error","wrong-protocol",{"supported":5,"used":4}]"#)
            #expect(try await old.waitForClose().code == 1000)
            let none = try await raw(server, room)
            try await none.send(text: #"["connect",5,"alice:1:b",0]"#)
            #expect(try await none.nextText() == #"["error","wrong-subprotocol",{"supported":1,"used":0}]"#)
            #expect(try await none.waitForClose().code == 1000)
            let semver = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(room)", node: "alice:1:c", subprotocol: "1.2.0")
            #expect(semver.connected.arrayValue?.first?.stringValue == "connected")
            try await semver.close()
        }
    }

    @Test("bad frames get wrong-format or unknown-message and the connection goes on")
    func badFrames() async throws {
        try await withRooms { server in
            let socket = try await raw(server, uniqueRoom("lx"))
            try await socket.send(text: "hello")
            #expect(try await socket.nextText() == #"["error","wrong-format","hello"]"#)
            try await socket.send(text: #"{"type":"connect"}"#)
            #expect(try await socket.nextText() == #"["error","wrong-format","{\"type\":\"connect\"}"]"#)
            try await socket.send(text: "[1,2]")
            #expect(try await socket.nextText() == #"["error","wrong-format","[1,2]"]"#)
            try await socket.send(binary: [1, 2, 3])
            #expect(try await socket.nextText().hasPrefix(#"["error","wrong-format""#))
            try await socket.send(text: #"["shout","hi"]"#)
            #expect(try await socket.nextText() == #"["error","unknown-message","shout"]"#)
            try await socket.send(text: #"["connect","5","alice:1:a",0]"#)
            #expect(try await socket.nextText().hasPrefix(#"["error","wrong-format""#))
            // Before connect, anything but connect, headers, error and debug is missed-auth.
            try await socket.send(text: #"["ping",0]"#)
            #expect(try await socket.nextText() == #"["error","missed-auth","[\"ping\",0]"]"#)
            try await socket.send(text: #"["headers",{"language":"pl"}]"#)
            try await socket.send(text: #"["debug","error","stack"]"#)
            try await socket.send(text: #"["connect",5,"alice:1:a",0,{"subprotocol":1}]"#)
            #expect(try await socket.nextText().hasPrefix(#"["connected",5,"server:"#))
            try await socket.close()
        }
    }

    @Test("a connection that never sends connect gets a timeout error and is closed")
    func connectTimeout() async throws {
        let clock = ManualClock()
        try await withRooms(configuration: PartyConfiguration(clock: clock)) { server in
            let socket = try await raw(server, uniqueRoom("lx"))
            try await socket.send(text: #"["headers",{}]"#)
            let deadline = clock.now.addingTimeInterval(20)
            _ = try await eventually("the connect timer waits") {
                clock.sleeperDeadlines.contains(deadline) ? .done(()) : .pending("deadlines \(clock.sleeperDeadlines)")
            }
            clock.advance(by: .seconds(20))
            #expect(try await socket.nextText() == #"["error","timeout",20000]"#)
            #expect(try await socket.waitForClose().code == 1000)
        }
    }

    @Test("with JWT authentication configured, a token whose sub is not the node's user is wrong-credentials")
    func credentials() async throws {
        var configuration = PartyConfiguration()
        configuration.jwt = JWTAuthentication(keys: [try .hs256(secret: HandMadeToken.secret)])
        try await withRooms(configuration: configuration) { server in
            let room = uniqueRoom("lx")
            let issuer = try JWTTokenIssuer(key: .hs256(secret: HandMadeToken.secret))
            let alice = try await issuer.token(subject: "alice", expiresIn: .seconds(600))
            let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(room)", node: "alice:1:a", token: alice)
            try await client.close()
            for token in [alice, nil, "not-a-token"] as [String?] {
                let socket = try await raw(server, room)
                var options: [String: JSONValue] = ["subprotocol": 1]
                if let token { options["token"] = .string(token) }
                try await socket.send(text: JSONValue.array(["connect", 5, "bob:1:b", 0, .object(options)]).jsonText)
                #expect(try await socket.nextText() == #"["error","wrong-credentials"]"#)
                #expect(try await socket.waitForClose().code == 1000)
            }
        }
    }

    @Test("a sync with a malformed action, too many actions or a too large action is refused whole with wrong-format; nothing is logged")
    func refusedSyncs() async throws {
        try await withRooms { server in
            let room = uniqueRoom("lx")
            let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(room)", node: "alice:1:a")
            let now = Int(Date().timeIntervalSince1970 * 1000) - client.base
            let good = "\(Self.increment),{\"id\":[\(now),1],\"time\":\(now)}"
            let bad = [
                "[\"sync\",1,\(good),{\"no\":\"type\"},{\"id\":[\(now),2],\"time\":\(now)}]",
                "[\"sync\",1,\(good),\(Self.increment),{\"id\":\"not an id\",\"time\":\(now)}]",
                "[\"sync\",1,\(good),\(Self.increment),{\"time\":\(now)}]",
                "[\"sync\",1,\(good),\(Self.increment)]",
                "[\"sync\",1," + (1...101).map { "\(Self.increment),{\"id\":[\(now),\($0)],\"time\":\(now)}" }.joined(separator: ",") + "]",
                "[\"sync\",1,{\"type\":\"counter/increment\",\"pad\":\"\(String(repeating: "x", count: 17000))\"},{\"id\":[\(now),5],\"time\":\(now)}]",
            ]
            for text in bad {
                try await client.socket.send(text: text)
                let answer = try await client.next()
                #expect(answer.first?.stringValue == "error" && answer[1].stringValue == "wrong-format", "\(answer)")
            }
            #expect(try await counter(server, room) == 0)
            try await client.close()
        }
    }

    @Test("ids in all compressed forms and the long form are read; a repeated id is ignored")
    func idsAndDuplicates() async throws {
        try await withRooms { server in
            let room = uniqueRoom("lx")
            let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(room)", node: "alice:1:a")
            let shift = Int(Date().timeIntervalSince1970 * 1000) - client.base
            let base = client.base
            let metas = [
                "{\"id\":\(shift),\"time\":\(shift)}",
                "{\"id\":[\(shift),1],\"time\":\(shift)}",
                "{\"id\":[\(shift),\"alice:1:other-tab\",0],\"time\":\(shift)}",
                "{\"id\":\"\(base + shift) alice:1:a 7\",\"time\":\(shift)}",
            ]
            let expected = ["\(base + shift) alice:1:a 0", "\(base + shift) alice:1:a 1", "\(base + shift) alice:1:other-tab 0", "\(base + shift) alice:1:a 7"]
            // The second sync repeats every id: nothing of it is processed again.
            for added in 1...2 {
                try await client.socket.send(text: "[\"sync\",\(added)," + metas.map { "\(Self.increment),\($0)" }.joined(separator: ",") + "]")
            }
            let received = try await client.receive(4)
            #expect(received.map(\.type) == Array(repeating: "logux/processed", count: 4))
            #expect(received.compactMap { $0.action["id"]?.stringValue } == expected)
            #expect(try await counter(server, room) == 4)
            try await client.close()
        }
    }

    @Test("another user's action id is denied; unknown types, logux types and channels are undone with their reasons")
    func undoReasons() async throws {
        try await withRooms { server in
            let client = try await LoguxClient.connect(port: server.port, path: "/parties/logux/\(uniqueRoom("lx"))", node: "alice:1:a")
            let shift = Int(Date().timeIntervalSince1970 * 1000) - client.base
            try await client.socket.send(text: "[\"sync\",1,\(Self.increment),{\"id\":[\(shift),\"mallory:1:m\",0],\"time\":\(shift)}]")
            try await client.sync([#"{"type":"counter/decrement"}"#, #"{"type":"logux/processed","id":"1 x 0"}"#, #"{"type":"logux/subscribe","channel":"nope"}"#], added: 2, sequence: 10)
            let received = try await client.receive(4)
            #expect(received.map(\.type) == Array(repeating: "logux/undo", count: 4))
            #expect(received.compactMap { $0.action["reason"]?.stringValue } == ["denied", "unknown-type", "unknown-type", "wrong-channel"])
            #expect(received[1].action["action"]?["type"]?.stringValue == "counter/decrement")
            try await client.close()
        }
    }
}
