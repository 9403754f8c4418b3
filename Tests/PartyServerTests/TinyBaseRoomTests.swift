import Foundation
import PartyServer
import PartyServerTesting
import PartyTinyBase
import Testing

#if os(Linux)
import Glibc

/// The ready-made `tinybase` room with a protocol-level TinyBase client (`Tests/Python/
/// tinybase_client.py`, following TinyBase's synchronizer rules) and raw sockets.
@Suite("TinyBase room")
struct TinyBaseRoomTests {
    /// Runs the Python TinyBase client against `room` with `arguments`; returns its result.
    func client(_ port: Int, _ room: String, _ arguments: [String]) async throws -> JSONValue {
        try await PythonClient.run("tinybase_client.py", ["--url", "ws://127.0.0.1:\(port)/parties/tinybase/\(room)", "--timeout", "15"] + arguments)
    }

    /// The room's content as `GET` answers it.
    func content(_ server: PartyTestServer, _ room: String) async throws -> String {
        try await server.request("GET", "/parties/tinybase/\(room)").text
    }

    @Test("two clients converge through the room, one of them sending split messages")
    func converge() async throws {
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let room = uniqueRoom("tb")
            async let alice = client(server.port, room, [
                "--unique-id", "alice", "--fragment-size", "20", "--set", #"pets/fido/species="dog""#, "--set-value", "open=true",
                "--expect-cell", #"pets/felix/species="cat""#,
            ])
            async let bob = client(server.port, room, [
                "--unique-id", "bob", "--set", #"pets/felix/species="cat""#, "--set", #"pets/fido/color="brown""#,
                "--expect-cell", #"pets/fido/species="dog""#, "--expect-value", "open=true",
            ])
            let (fromAlice, fromBob) = try await (alice, bob)
            #expect(fromAlice["result"]?.boolValue == true)
            #expect(fromBob["result"]?.boolValue == true)
            #expect(fromAlice["content"]?["tables"]?["pets"]?["fido"]?["species"]?.stringValue == "dog")
            try await waitUntil(timeout: .seconds(10), "the server's store has every cell") {
                (try? await content(server, room)) == #"{"tables":{"pets":{"felix":{"species":"cat"},"fido":{"color":"brown","species":"dog"}}},"values":{"open":true}}"#
            }
        }
    }

    @Test("a client that dropped a change while loading is sent the store's hashes after the store pulled from it, and pulls the change")
    func changeDroppedWhileLoading() async throws {
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let room = uniqueRoom("tb")
            let path = "/parties/tinybase/\(room)"
            let alice = try await server.webSocket(path)
            let bob = try await server.webSocket(path)
            // Bob's change reaches alice while her first load runs: a TinyBase client drops it.
            let hlc = TinyBaseHLC.encode(logicalTime: 1_735_689_600_000, counter: 0, clientPart: TinyBaseHLC.clientPart(uniqueId: "bob"))
            try await bob.send(text: #"\#n[null,3,[[{"pets":[{"felix":[{"species":["cat","\#(hlc)"]}]}]}],[{}],1]]"#)
            let dropped = try await alice.nextText()
            #expect(dropped.contains(#""felix""#) && !dropped.hasPrefix("S\n"))
            // Her load done, alice announces her hashes (an empty store's) to everyone. The store
            // pulls from her: it asks for her table diff, and she has nothing new.
            try await alice.send(text: "\n[null,2,[0,0]]")
            let tableDiffRequest = try await Self.nextMessage(alice, from: "S", type: 4)
            let requestId = try #require(tableDiffRequest[0] as? String)
            try await alice.send(text: #"S\#n["\#(requestId)",0,[[{}],{}]]"#)
            // The store's hashes still differ from hers, so it tells her them: she pulls from it.
            let hashes = try await Self.nextMessage(alice, from: "S", type: 2)
            let announced = try #require(hashes[2] as? [Int])
            #expect(announced.count == 2 && announced[0] != 0 && announced[1] == 0)
            try await alice.send(text: #"S\#n["a1",4,{}]"#)
            let pulled = try await Self.nextMessage(alice, from: "S", type: 0)
            #expect(pulled[0] as? String == "a1")
            let answer = try JSONSerialization.data(withJSONObject: pulled[2])
            #expect(String(decoding: answer, as: UTF8.self).contains(#""felix""#), "the table diff carries bob's row")
        }
    }

    /// Reads `socket` until a message of `type` from `sender` arrives; returns its JSON array.
    static func nextMessage(_ socket: TestWebSocket, from sender: String, type: Int) async throws -> [Any] {
        while true {
            let frame = try await socket.nextText()
            let parts = frame.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == sender,
                let message = try JSONSerialization.jsonObject(with: Data(parts[1].utf8), options: [.fragmentsAllowed]) as? [Any],
                message.count >= 3, message[1] as? Int == type
            else { continue }
            return message
        }
    }

    @Test("a late client gets everything from the server's store after the others left and the server restarted (SIGTERM, then kill -9)")
    func lateClientAfterRestarts() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("tb")
        var (process, port) = try await startPartyServerProcess(["--data-dir", directory])
        do {
            _ = try await client(port, room, ["--unique-id", "alice", "--set", #"pets/fido/species="dog""#, "--expect-cell", #"pets/fido/species="dog""#])
            try await stop(process, with: SIGTERM)
            (process, port) = try await startPartyServerProcess(["--data-dir", directory])
            _ = try await client(port, room, ["--unique-id", "bob", "--set", #"pets/felix/species="cat""#, "--expect-cell", #"pets/fido/species="dog""#])
            try await stop(process, with: SIGKILL)
            (process, port) = try await startPartyServerProcess(["--data-dir", directory])
            let carol = try await client(port, room, ["--unique-id", "carol", "--expect-cell", #"pets/fido/species="dog""#, "--expect-cell", #"pets/felix/species="cat""#])
            #expect(carol["result"]?.boolValue == true)
            try await stop(process, with: SIGTERM)
        } catch {
            process.signalGroup(SIGKILL)
            process.reap()
            throw error
        }
    }

    @Test("the store outlives hibernation, and frames still reach a client connected throughout")
    func hibernation() async throws {
        let clock = ManualClock()
        try await withDurableServer(dataDirectory: temporaryDataDirectory(), clock: clock) { server in
            let room = uniqueRoom("tb")
            _ = try await client(server.port, room, ["--unique-id", "alice", "--set", #"pets/fido/species="dog""#, "--expect-cell", #"pets/fido/species="dog""#])
            let watcher = try await server.webSocket("/parties/tinybase/\(room)")
            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("tinybase", room) == .hibernated }
            _ = try await client(server.port, room, ["--unique-id", "bob", "--set", #"pets/felix/species="cat""#, "--expect-cell", #"pets/fido/species="dog""#])
            var heard: [String] = []
            while !heard.contains(where: { $0.contains(#""felix""#) }) { heard.append(try await watcher.nextText()) }
            #expect(try await content(server, room) == #"{"tables":{"pets":{"felix":{"species":"cat"},"fido":{"species":"dog"}}},"values":{}}"#)
        }
    }

    @Test("invalid frames close with 1007 (1003 for binary) and reach neither the other clients nor the store")
    func invalidFrames() async throws {
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let room = uniqueRoom("tb")
            let path = "/parties/tinybase/\(room)"
            let watcher = try await server.webSocket(path)
            let invalid = [
                "no newline at all",
                "\nnot json",
                #"S\#n[null,9,""]"#,
                #"\#n[null,3,[{"pets":[{"fido":[{"species":[{"raw":"object"},"P7xkgur----67WEb"]}]}]},[{}],1]]"#,
                "\nABCDEFGHIJKLMNOP\n5\n2\nchunk",
            ]
            for frame in invalid {
                let socket = try await server.webSocket(path)
                try await socket.send(text: frame)
                #expect(try await socket.waitForClose().code == 1007, "\(frame)")
            }
            let binary = try await server.webSocket(path)
            try await binary.send(binary: [1, 2, 3])
            #expect(try await binary.waitForClose().code == 1003)
            // The watcher heard none of it; a valid frame from it is answered by the store.
            try await watcher.send(text: #"S\#n["r1",1,""]"#)
            #expect(try await watcher.nextText() == #"S\#n["r1",0,[0,0]]"#)
            #expect(try await content(server, room) == #"{"tables":{},"values":{}}"#)
        }
    }

    @Test("a frame for one client reaches only it, with the sender's id on its first line")
    func directFrames() async throws {
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let path = "/parties/tinybase/\(uniqueRoom("tb"))"
            let alice = try await server.webSocket(path)
            let bob = try await server.webSocket(path)
            let carol = try await server.webSocket(path)
            // Bob asks everyone for their hashes: alice and carol learn his id from the first line.
            try await bob.send(text: #"\#n["b1",1,""]"#)
            #expect(try await bob.nextText() == #"S\#n["b1",0,[0,0]]"#, "the store answered bob")
            let heard = try await alice.nextText()
            #expect(try await carol.nextText() == heard)
            let parts = heard.split(separator: "\n", maxSplits: 1).map(String.init)
            #expect(parts.count == 2 && parts[1] == #"["b1",1,""]"#)
            let bobId = parts[0]
            #expect(!bobId.isEmpty && bobId != "S")
            // Alice answers bob only.
            try await alice.send(text: #"\#(bobId)\#n["b1",0,[0,0]]"#)
            let answer = try await bob.nextText()
            #expect(answer.hasSuffix(#"\#n["b1",0,[0,0]]"#))
            #expect(!answer.hasPrefix(bobId) && !answer.hasPrefix("S\n"), "the first line is alice's id")
            try await carol.send(text: #"S\#n["c1",1,""]"#)
            #expect(try await carol.nextText() == #"S\#n["c1",0,[0,0]]"#, "carol got nothing meant for bob first")
        }
    }
}
#endif
