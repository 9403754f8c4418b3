import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

@Suite("Ready-made rooms")
struct ReadyMadeRoomsTests {
    private func withRooms<T: Sendable>(_ body: (PartyTestServer) async throws -> T) async throws -> T {
        try await PartyTestServer.withServer({ app in try ReadyMadeRooms.register(in: app) }, body)
    }

    @Test("chat relays text and binary messages unchanged to every other connection")
    func chatRelays() async throws {
        try await withRooms { server in
            let room = uniqueRoom("chat")
            let alice = try await server.webSocket("/parties/chat/\(room)")
            let bob = try await server.webSocket("/parties/chat/\(room)")
            let carol = try await server.webSocket("/parties/chat/\(room)")
            for socket in [alice, bob, carol] { try await socket.joined() }
            try await alice.send(text: "héllo, {\"json\": true}")
            #expect(try await bob.nextText() == "héllo, {\"json\": true}")
            #expect(try await carol.nextText() == "héllo, {\"json\": true}")
            try await bob.send(binary: [0, 1, 2, 255])
            #expect(try await alice.nextBinary() == [0, 1, 2, 255])
            #expect(try await carol.nextBinary() == [0, 1, 2, 255])
            // Alice's own message never came back: the next thing she sees is Carol's.
            try await carol.send(text: "from carol")
            #expect(try await alice.nextText() == "from carol")
            #expect(try await bob.nextText() == "from carol")
            for socket in [alice, bob, carol] { try await socket.close() }
        }
    }

    @Test("counter sends the count on connect, broadcasts each inc, and answers GET and POST")
    func counter() async throws {
        try await withRooms { server in
            let room = uniqueRoom("count")
            let first = try await server.webSocket("/parties/counter/\(room)")
            #expect(try await first.nextText() == #"{"count":0}"#)
            try await first.send(text: "inc")
            #expect(try await first.nextText() == #"{"count":1}"#)
            let second = try await server.webSocket("/parties/counter/\(room)")
            #expect(try await second.nextText() == #"{"count":1}"#)
            try await second.send(text: "inc")
            #expect(try await first.nextText() == #"{"count":2}"#)
            #expect(try await second.nextText() == #"{"count":2}"#)

            let get = try await server.request("GET", "/parties/counter/\(room)")
            #expect(get.status == 200)
            #expect(get.text == #"{"count":2}"#)
            let post = try await server.request("POST", "/parties/counter/\(room)")
            #expect(post.text == #"{"count":3}"#)
            #expect(try await first.nextText() == #"{"count":3}"#)
            #expect(try await server.request("DELETE", "/parties/counter/\(room)").status == 405)

            try await first.send(text: "dec")
            #expect(try await first.nextText().contains("unknown message"))
            #expect(try await server.request("GET", "/parties/counter/\(room)").text == #"{"count":3}"#)
            try await first.close()
            try await second.close()
        }
    }

    @Test("counters in different rooms are independent")
    func countersAreIndependent() async throws {
        try await withRooms { server in
            let a = uniqueRoom("a")
            let b = uniqueRoom("b")
            _ = try await server.request("POST", "/parties/counter/\(a)")
            _ = try await server.request("POST", "/parties/counter/\(a)")
            #expect(try await server.request("GET", "/parties/counter/\(a)").text == #"{"count":2}"#)
            #expect(try await server.request("GET", "/parties/counter/\(b)").text == #"{"count":0}"#)
        }
    }

    @Test("tally calls another tally by fetch and typed call, and answers a callee's error as 502 with its message")
    func tallyCallsTally() async throws {
        try await withRooms { server in
            let caller = uniqueRoom("caller")
            let target = uniqueRoom("target")
            let fetched = try await server.request("POST", "/parties/tally/\(caller)/fetch/\(target)?amount=3")
            #expect(fetched.status == 200)
            #expect(fetched.text == #"{"total":3}"#)
            #expect(fetched.header("x-tally-caller") == "tally/\(caller)")
            #expect(try await server.request("POST", "/parties/tally/\(caller)/call/\(target)?amount=4").text == #"{"total":7}"#)
            #expect(try await server.request("GET", "/parties/tally/\(target)").text == #"{"total":7}"#)
            #expect(try await server.request("GET", "/parties/tally/\(caller)").text == #"{"total":0}"#)
            let failed = try await server.request("POST", "/parties/tally/\(caller)/fail/\(target)?message=no%20thanks")
            #expect(failed.status == 502)
            let body = try JSONDecoder().decode([String: String].self, from: Data(failed.body))
            #expect(body["reason"] == "failed")
            #expect(body["errorType"] == "TallyError")
            #expect(body["message"] == "refused: no thanks")
            let cycle = try await server.request("POST", "/parties/tally/\(caller)/call/\(caller)")
            #expect(cycle.status == 502)
            #expect(cycle.text.contains(#""reason":"cycle""#))
        }
    }

    @Test("without a cluster the room call endpoint of nodes is absent: 404 as for any unknown path")
    func noClusterCallEndpoint() async throws {
        try await withRooms { server in
            let refused = try await server.request("POST", "/_partycluster/call", headers: [("x-partyserver-cluster-secret", "")], body: "{}")
            #expect(refused.status == 404)
            #expect(refused.text == (try await server.request("POST", "/_nothing/here", body: "{}")).text)
        }
    }
}
