import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Hibernation")
struct HibernationTests {
    @Test("an idle room hibernates, its connections stay open with ids, tags, uri and state, and the next message wakes it with its snapshot")
    func hibernateAndWake() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("nb")
            let alice = try await server.webSocket("/parties/notebook/\(name)?_pk=alice&tags=writer,blue")
            let bob = try await server.webSocket("/parties/notebook/\(name)?_pk=bob")
            try await alice.send(text: "state:drafting")
            #expect(try await alice.nextText() == "state-set")
            try await alice.send(text: "add:one")
            #expect(try await alice.nextText() == "notes:one")
            try await bob.send(text: "add:two")
            #expect(try await bob.nextText() == "notes:one,two")

            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("notebook", name) == .hibernated }
            #expect(Recorder.shared.events(name).last == "snapshot 2")
            let before = Recorder.shared.events(name).count

            // Protocol pings and the auto-response are answered without waking the room.
            try await alice.joined()
            try await bob.send(text: "ping")
            #expect(try await bob.nextText() == "pong")
            #expect(server.state("notebook", name) == .hibernated)
            #expect(Recorder.shared.events(name).count == before)

            try await alice.send(text: "who")
            #expect(try await alice.nextText() == "who id=alice tags=alice,writer,blue state=drafting uri=/parties/notebook/\(name)?_pk=alice&tags=writer,blue")
            #expect(Array(Recorder.shared.events(name).dropFirst(before)) == ["init", "restore 2", "start", "message alice who"])
            try await bob.send(text: "add:three")
            #expect(try await bob.nextText() == "notes:one,two,three")
            #expect(server.state("notebook", name) == .live)
        }
    }

    @Test("a new connection and an HTTP request each wake a hibernated room, and the closing of its last connection does too")
    func otherEventsWake() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("nb")
            let alice = try await server.webSocket("/parties/notebook/\(name)?_pk=alice")
            try await alice.send(text: "add:x")
            _ = try await alice.nextText()
            try await advance(clock, by: .seconds(11), until: "hibernated") { server.state("notebook", name) == .hibernated }

            let bob = try await server.webSocket("/parties/notebook/\(name)?_pk=bob")
            try await waitUntil("bob's connection woke the room") { Recorder.shared.events(name).last == "connect bob" }
            #expect(Recorder.shared.events(name).suffix(4) == ["init", "restore 1", "start", "connect bob"])
            try await advance(clock, by: .seconds(11), until: "hibernated again") { server.state("notebook", name) == .hibernated }

            #expect(try await server.request("GET", "/parties/notebook/\(name)").text == "x")
            #expect(Recorder.shared.events(name).suffix(3) == ["init", "restore 1", "start"])
            try await advance(clock, by: .seconds(11), until: "hibernated a third time") { server.state("notebook", name) == .hibernated }

            try await bob.close()
            try await alice.close()
            try await waitUntil("onClose woke the room") { Recorder.shared.events(name).suffix(3) == ["init", "restore 1", "start"] }
            // With no connections left, the next hibernation removes the room from memory.
            try await advance(clock, by: .seconds(11), until: "the room left memory") { server.state("notebook", name) == .absent }
            #expect(try await server.request("GET", "/parties/notebook/\(name)").text == "x")
        }
    }

    @Test("messages racing the idle timer are delivered once each, in order, across many hibernations")
    func eventsRacingHibernation() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("race")
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            let watcher = try await server.webSocket("/parties/notebook/\(name)")
            var sent = 0
            var acknowledged = 0
            for round in 0..<40 {
                for _ in 0..<5 {
                    sent += 1
                    try await socket.send(text: "seq:\(sent)")
                }
                clock.advance(by: .seconds(11))
                if round % 4 == 3 {
                    // Now and then let it process everything and fully hibernate, so the next
                    // messages race a wake-up too.
                    while acknowledged < sent {
                        acknowledged += 1
                        #expect(try await socket.nextText() == "ack:\(acknowledged)")
                    }
                    // Every message was processed (so the room is not still hibernated from before).
                    try await advance(clock, by: .seconds(11), until: "hibernated in round \(round)") {
                        server.state("notebook", name) == .hibernated
                    }
                }
            }
            while acknowledged < sent {
                acknowledged += 1
                #expect(try await socket.nextText() == "ack:\(acknowledged)")
            }
            let notes = try await server.request("GET", "/parties/notebook/\(name)").text
            #expect(notes == (1...sent).map(String.init).joined(separator: ","))
            #expect(Recorder.shared.count(name, "snapshot") >= 10)
            #expect(Recorder.shared.count(name, "restore") >= 10)
            #expect(watcher.drainEvents().isEmpty)
        }
    }

    @Test("a room that does not hibernate is evicted once idle without connections; its storage stays")
    func evictionKeepsStorage() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("scratch")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=1")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=2 stored=2")
            try await advance(clock, by: .seconds(11), until: "the room was evicted") { server.state("scratch", name) == .absent }
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=3")
        }
    }

    @Test("graceful shutdown snapshots live rooms; after a restart the first event finds the state")
    func shutdownSnapshots() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("nb")
        try await withDurableServer(dataDirectory: directory) { server in
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "add:kept")
            #expect(try await socket.nextText() == "notes:kept")
        }
        #expect(Recorder.shared.events(name).last == "snapshot 1")
        try await withDurableServer(dataDirectory: directory) { server in
            let notes = try await server.request("GET", "/parties/notebook/\(name)").text
            #expect(notes == "kept")
            #expect(Recorder.shared.events(name).suffix(3) == ["init", "restore 1", "start"])
        }
    }

    @Test("the counter keeps its count across hibernation and restarts")
    func counterIsDurable() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("count")
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let socket = try await server.webSocket("/parties/counter/\(name)")
            #expect(try await socket.nextText() == #"{"count":0}"#)
            for expected in 1...3 {
                try await socket.send(text: "inc")
                #expect(try await socket.nextText() == "{\"count\":\(expected)}")
            }
            try await advance(clock, by: .seconds(11), until: "the counter hibernated") { server.state("counter", name) == .hibernated }
            try await socket.send(text: "inc")
            #expect(try await socket.nextText() == #"{"count":4}"#)
        }
        try await withDurableServer(dataDirectory: directory) { server in
            let count = try await server.request("GET", "/parties/counter/\(name)").text
            #expect(count == #"{"count":4}"#)
        }
    }
}
