import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import PartyYjs
import Synchronization
import Testing

/// The y-websocket protocol of `YServer` rooms, byte by byte, over real sockets.
@Suite("Yjs protocol")
struct YjsProtocolTests {
    func withRooms(_ body: (PartyTestServer) async throws -> Void) async throws {
        try await PartyTestServer.withServer({
            try ReadyMadeRooms.register(in: $0)
            try $0.register(YjsNotes.self, as: YjsNotes.routeName)
        }, body)
    }

    /// Opens a socket to `path` and reads the server's sync step 1.
    func join(_ server: PartyTestServer, _ path: String) async throws -> (TestWebSocket, YStateVector) {
        let socket = try await server.webSocket(path)
        let step1 = try await socket.nextBinary()
        #expect(Array(step1.prefix(2)) == [0, 0], "the first message is sync step 1")
        return (socket, try YStateVector(decoding: Array(step1.dropFirst(3))))
    }

    /// Sends sync step 1 with `stateVector` and returns the update of the step 2 answer.
    func step2(_ socket: TestWebSocket, since stateVector: YStateVector = YStateVector()) async throws -> [UInt8] {
        try await socket.send(binary: YjsWire.sync(0, stateVector.encoded()))
        let answer = try await socket.nextBinary()
        #expect(Array(answer.prefix(2)) == [0, 1], "sync step 1 is answered with step 2")
        return Array(answer.dropFirst(2 + YjsWire.varUInt(UInt64(answer.count - 3)).count))
    }

    @Test("a new client gets step 1 of an empty document, and its step 1 is answered with the empty update")
    func emptyDocument() async throws {
        try await withRooms { server in
            let socket = try await server.webSocket("/parties/yjs/\(uniqueRoom("y"))")
            #expect(try await socket.nextBinary() == YjsWire.emptyStep1)
            try await socket.send(binary: YjsWire.sync(0, [0]))
            #expect(try await socket.nextBinary() == YjsWire.sync(1, [0, 0]))
        }
    }

    @Test("step 1 is answered with exactly what the client lacks, cut inside a struct where its clock falls")
    func stepTwoIsTheDiff() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (writer, _) = try await join(server, path)
            try await writer.send(binary: YjsWire.sync(2, YjsWire.insert("hi", client: 7)))
            let (reader, vector) = try await join(server, path)
            #expect(vector == YStateVector([7: 2]))
            #expect(try await step2(reader) == YjsWire.insert("hi", client: 7))
            #expect(try await step2(reader, since: YStateVector([7: 1])) == YjsWire.insert("i", client: 7, clock: 1))
            #expect(try await step2(reader, since: YStateVector([7: 2])) == [0, 0])
        }
    }

    @Test("an update reaches every other client, not its sender, and a duplicate goes nowhere")
    func updatesReachTheOthers() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (alice, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            let (carol, _) = try await join(server, path)
            let update = YjsWire.sync(2, YjsWire.insert("x", client: 9))
            try await alice.send(binary: update)
            #expect(try await bob.nextBinary() == update)
            #expect(try await carol.nextBinary() == update)
            try await bob.send(binary: update)
            // The next message each gets is the answer to its own step 1: no echo, no duplicate.
            #expect(try await step2(alice, since: YStateVector([9: 1])) == [0, 0])
            #expect(try await step2(carol, since: YStateVector([9: 1])) == [0, 0])
        }
    }

    @Test("a client's step 2 is applied and forwarded as an update")
    func stepTwoFromAClient() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (alice, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            try await alice.send(binary: YjsWire.sync(1, YjsWire.insert("offline", client: 4)))
            #expect(try await bob.nextBinary() == YjsWire.sync(2, YjsWire.insert("offline", client: 4)))
        }
    }

    @Test("a malformed update closes its connection with 1007 and changes nothing; the others keep editing")
    func malformedUpdates() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let good = YjsWire.insert("ok", client: 5)
            let bad: [[UInt8]] = [
                Array(good.dropLast(3)),  // cut inside the string
                [1, 1, 6, 0, 15, 1, 1],  // content kind 15
                [1, 1, 6, 0, 4, 1, 4] + Array("text".utf8) + [2, 0xC3, 0x28, 0],  // invalid UTF-8
                good + [0],  // a byte after the end
            ]
            for payload in bad {
                let (mallory, _) = try await join(server, path)
                try await mallory.send(binary: YjsWire.sync(2, payload))
                #expect(try await mallory.waitForClose().code == 1007)
            }
            let (alice, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            try await alice.send(binary: YjsWire.sync(2, good))
            #expect(try await bob.nextBinary() == YjsWire.sync(2, good))
            let (_, vector) = try await join(server, path)
            #expect(vector == YStateVector([5: 2]))
        }
    }

    @Test("an unknown message type or a plain text frame closes with 1003")
    func unsupportedMessages() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (first, _) = try await join(server, path)
            try await first.send(binary: [9, 0])
            #expect(try await first.waitForClose().code == 1003)
            let (second, _) = try await join(server, path)
            try await second.send(text: "hello")
            #expect(try await second.waitForClose().code == 1003)
        }
    }

    @Test("awareness goes to everyone, the sender included, reaches late joiners, answers queries, and is removed on close")
    func awareness() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (alice, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            let hello = YjsWire.awareness(client: 11, clock: 1, state: #"{"user":"alice"}"#)
            try await alice.send(binary: hello)
            #expect(try await alice.nextBinary() == hello)
            #expect(try await bob.nextBinary() == hello)
            let (carol, _) = try await join(server, path)
            #expect(try await carol.nextBinary() == hello)
            try await carol.send(binary: [3])
            #expect(try await carol.nextBinary() == hello)
            try await alice.close()
            let gone = YjsWire.awareness(client: 11, clock: 2, state: "null")
            #expect(try await bob.nextBinary() == gone)
            #expect(try await carol.nextBinary() == gone)
            try await bob.send(binary: [3])
            #expect(try await bob.nextBinary() == [1, 1, 0])
        }
    }

    @Test("a connection announcing more awareness clients than allowed is closed with 1008; nobody hears them")
    func awarenessLimit() async throws {
        try await withRooms { server in
            let path = "/parties/yjs/\(uniqueRoom("y"))"
            let (flood, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            var payload: [UInt8] = YjsWire.varUInt(17)
            for client in 1...17 { payload += YjsWire.varUInt(UInt64(client)) + [1] + YjsWire.string("{}") }
            try await flood.send(binary: [1] + YjsWire.varUInt(UInt64(payload.count)) + payload)
            #expect(try await flood.waitForClose().code == 1008)
            try await bob.send(binary: [3])
            #expect(try await bob.nextBinary() == [1, 1, 0], "bob heard nothing of the flood")
        }
    }

    @Test("a read-only connection's updates are ignored; it still syncs")
    func readOnly() async throws {
        try await withRooms { server in
            let name = uniqueRoom("y")
            let (viewer, _) = try await join(server, "/parties/ynotes/\(name)?mode=view")
            try await viewer.send(binary: YjsWire.sync(2, YjsWire.insert("nope", client: 3)))
            #expect(try await step2(viewer) == [0, 0])
            let (_, vector) = try await join(server, "/parties/ynotes/\(name)")
            #expect(vector == YStateVector())
        }
    }

    @Test("custom __YPS: messages reach onCustomMessage, sendCustomMessage and broadcastCustomMessage")
    func customMessages() async throws {
        try await withRooms { server in
            let path = "/parties/ynotes/\(uniqueRoom("y"))"
            let (alice, _) = try await join(server, path)
            let (bob, _) = try await join(server, path)
            try await alice.send(text: "__YPS:ping")
            #expect(try await alice.nextText() == "__YPS:pong")
            try await alice.send(text: #"__YPS:{"cursor":3}"#)
            #expect(try await bob.nextText() == #"__YPS:{"cursor":3}"#)
            try await alice.send(text: "__YPS:ping")
            #expect(try await alice.nextText() == "__YPS:pong", "alice got no copy of her broadcast")
        }
    }

    @Test("onLoad seeds an empty document, and GET answers the document as one update")
    func seedAndGet() async throws {
        try await withRooms { server in
            let name = uniqueRoom("y")
            YjsNotes.seeds.withLock { $0[name] = YjsWire.insert("seed", client: 3) }
            let (_, vector) = try await join(server, "/parties/ynotes/\(name)")
            #expect(vector == YStateVector([3: 4]))
            let response = try await server.request("GET", "/parties/ynotes/\(name)")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/octet-stream")
            #expect(response.body == YjsWire.insert("seed", client: 3))
            #expect(try await server.request("POST", "/parties/ynotes/\(name)").status == 405)
        }
    }
}
