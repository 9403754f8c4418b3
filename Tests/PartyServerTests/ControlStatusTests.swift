import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: statuses")
struct ControlStatusTests {
    @Test("a spawned room goes scheduled, loading, starting, ready, each once and in order")
    func statusOrder() async throws {
        try await withControlServer { server in
            let gate = "start-\(UUID().uuidString)"
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["gate": .string(gate)]]])
            let name = try #require(answer["name"]?.stringValue)
            #expect(["scheduled", "loading", "starting"].contains(answer["status"]?.stringValue ?? ""))
            try await waitForStatus(server, name, "starting")
            let stream = try await server.statusStream("session", name)
            try await waitUntil("the stream replayed three statuses") { stream.events.count == 3 }
            #expect(stream.statuses == ["scheduled", "loading", "starting"])

            await TestGates.shared.gate(gate).open()
            try await waitUntil("ready arrived") { stream.events.count == 4 }
            #expect(stream.statuses == ["scheduled", "loading", "starting", "ready"])
            #expect(stream.events.map(\.id) == ["1.1", "1.2", "1.3", "1.4"])
            let times = stream.events.compactMap { $0.json["time"]?.stringValue }
            #expect(times == times.sorted())
            let status = try await server.roomStatus("session", name)
            #expect(status["status"] == "ready")
            #expect(status["hibernated"] == false)
            #expect(status["termination_reason"] == nil)
            stream.close()
        }
    }

    @Test("the status stream replays the activation, resumes after Last-Event-ID without duplicates, and ends after terminated")
    func streamReplayAndResume() async throws {
        try await withControlServer { server in
            let answer = try await server.connect(["server": "session", "spawn": [:]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")

            let first = try await server.statusStream("session", name)
            #expect(first.status == 200)
            try await waitUntil("the replay arrived") { first.events.count == 4 }
            #expect(first.statuses == ["scheduled", "loading", "starting", "ready"])
            #expect(!first.hasEnded)
            let loadingID = try #require(first.events[1].id)
            first.close()

            let resumed = try await server.statusStream("session", name, lastEventID: loadingID)
            try await waitUntil("the resumed replay arrived") { resumed.events.count == 2 }
            #expect(resumed.statuses == ["starting", "ready"])
            let readyID = try #require(resumed.events.last?.id)

            let caughtUp = try await server.statusStream("session", name, lastEventID: readyID)
            #expect(try await server.control("POST", "/rooms/session/\(name)/terminate", json: [:]).status == 200)
            try await waitUntil("both streams ended") { resumed.hasEnded && caughtUp.hasEnded }
            #expect(resumed.statuses == ["starting", "ready", "terminating", "terminated"])
            #expect(caughtUp.statuses == ["terminating", "terminated"])
            #expect(caughtUp.events.last?.json["termination_reason"] == "external")
            #expect(Set(resumed.events.compactMap(\.id)).count == resumed.events.count)

            // A stream of an activation that has ended replays it and ends at once.
            let after = try await server.control("GET", "/rooms/session/\(name)/status/stream")
            #expect(after.header("Content-Type")?.hasPrefix("text/event-stream") == true)
            #expect(after.text.components(separatedBy: "data: ").count - 1 == 6)
            let none = try await server.statusStream("session", name, lastEventID: "1.6")
            try await waitUntil("the caught-up stream of a terminated room ended") { none.hasEnded }
            #expect(none.events.isEmpty)
        }
    }

    @Test("rooms reached directly: hibernation is a flag on ready, leaving memory ends the activation (swept), the next event starts a new one")
    func directActivations() async throws {
        let clock = ManualClock()
        try await withControlServer(clock: clock) { server in
            let name = uniqueRoom("direct")
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "add:kept")
            #expect(try await socket.nextText() == "notes:kept")
            let first = try await server.statusStream("notebook", name)
            try await waitUntil("the first activation is ready") { first.statuses.last == "ready" }
            #expect(first.statuses == ["scheduled", "loading", "starting", "ready"])

            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("notebook", name) == .hibernated }
            let hibernated = try await server.roomStatus("notebook", name)
            #expect(hibernated["status"] == "ready")
            #expect(hibernated["hibernated"] == true)
            try await socket.send(text: "add:more")
            #expect(try await socket.nextText() == "notes:kept,more")
            #expect(try await server.roomStatus("notebook", name)["hibernated"] == false)
            #expect(first.statuses == ["scheduled", "loading", "starting", "ready"])

            try await socket.close()
            try await advance(clock, by: .seconds(11), until: "the room left memory") { server.state("notebook", name) == .absent }
            try await waitUntil("the first stream ended") { first.hasEnded }
            #expect(first.statuses == ["scheduled", "loading", "starting", "ready", "terminating", "terminated"])
            #expect(first.events.last?.json["termination_reason"] == "swept")

            #expect(try await server.request("GET", "/parties/notebook/\(name)").text == "kept,more")
            let second = try await server.statusStream("notebook", name)
            try await waitUntil("the second activation is ready") { second.statuses.last == "ready" }
            #expect(second.events.first?.id == "2.1")
            #expect(second.statuses == ["scheduled", "loading", "starting", "ready"])
            second.close()

            // A room that does not hibernate is evicted once idle without connections: swept too.
            let scratch = uniqueRoom("scratch")
            _ = try await server.request("POST", "/parties/scratch/\(scratch)")
            try await advance(clock, by: .seconds(11), until: "the scratch room was evicted") { server.state("scratch", scratch) == .absent }
            let evicted = try await server.roomStatus("scratch", scratch)
            #expect(evicted["status"] == "terminated")
            #expect(evicted["termination_reason"] == "swept")
        }
    }

    @Test("an onStart that throws ends the activation with internal_error; the next connection starts a new one")
    func startFailure() async throws {
        try await withControlServer { server in
            let answer = try await server.connect(["server": "session", "spawn": ["env": ["fail": "1"]]])
            let name = try #require(answer["name"]?.stringValue)
            try await waitForStatus(server, name, "terminated")
            let status = try await server.roomStatus("session", name)
            #expect(status["termination_reason"] == "internal_error")
            let stream = try await server.control("GET", "/rooms/session/\(name)/status/stream")
            #expect(stream.text.contains(#""status":"starting""#))
            #expect(!stream.text.contains(#""status":"terminating""#))
        }
    }

    @Test("the room list filters by server and status and shows connections, hibernation and last activity")
    func roomList() async throws {
        try await withControlServer { server in
            let live = try #require(try await server.connect(["server": "session", "key": "listed", "spawn": [:]])["name"]?.stringValue)
            let ended = try #require(try await server.connect(["server": "session", "spawn": [:]])["name"]?.stringValue)
            try await waitForStatus(server, live, "ready")
            try await waitForStatus(server, ended, "ready")
            _ = try await server.control("POST", "/rooms/session/\(ended)/terminate", json: ["hard": true])
            let socket = try await server.webSocket("/parties/session/\(live)")
            #expect(try await socket.nextText() == "hello - -")
            let direct = uniqueRoom("nb")
            _ = try await server.request("GET", "/parties/notebook/\(direct)")

            func names(_ query: String) async throws -> [String] {
                let list = try JSONValue.parse(try await server.control("GET", "/rooms\(query)").text)
                return (list["rooms"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            }
            #expect(Set(try await names("")) == [live, ended, direct])
            #expect(Set(try await names("?server=session")) == [live, ended])
            #expect(try await names("?server=session&status=ready") == [live])
            #expect(try await names("?status=terminated") == [ended])
            #expect(try await server.control("GET", "/rooms?status=asleep").status == 400)

            let entry = try #require(
                try JSONValue.parse(try await server.control("GET", "/rooms?server=session&status=ready").text)["rooms"]?.arrayValue?.first
            )
            #expect(entry["connections"] == 1)
            #expect(entry["hibernated"] == false)
            #expect(entry["key"] == "listed")
            #expect(entry["last_activity"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("in Swift: connect, status, statusUpdates and terminate work in process")
    func swiftAPI() async throws {
        try await withControlServer(apiKey: nil) { server in
            let rooms = server.application.rooms
            let grant = try await rooms.connect(server: "session", key: "swift", spawn: RoomSpawn(env: ["from": "swift"]), user: "ada")
            #expect(grant.spawned)
            #expect(grant.token != nil)
            let again = try await rooms.connect(server: "session", key: "swift")
            #expect(again.name == grant.name && !again.spawned)
            await #expect(throws: ControlError.keyUnheld("other")) { try await rooms.connect(server: "session", key: "other") }
            // Neither key nor spawn: a new room, as Jamsocket's connect() with no options.
            let fresh = try await rooms.connect(server: "session")
            #expect(fresh.spawned && fresh.name != grant.name && fresh.key == nil)

            let updates = try rooms.statusUpdates(server: "session", name: grant.name)
            let ready = try await rooms.waitUntilReady(server: "session", name: grant.name)
            #expect(ready.status == .ready)
            #expect(try rooms.status(server: "session", name: grant.name).status == .ready)
            let final = try await rooms.terminate(server: "session", name: grant.name)
            #expect(final.status == .terminated)
            #expect(final.terminationReason == .external)
            var seen: [RoomStatus] = []
            for await event in updates { seen.append(event.status) }
            #expect(seen == [.scheduled, .loading, .starting, .ready, .terminating, .terminated])
            #expect(throws: ControlError.unknownRoom(server: "session", name: "nobody")) { try rooms.status(server: "session", name: "nobody") }
        }
    }

    @Test("graceful shutdown ends status streams and is not held up by them; rooms reached directly end with shutdown, spawned rooms do not end")
    func shutdownEndsStreams() async throws {
        let server = try await startControlServer()
        let name = try #require(try await server.connect(["server": "session", "spawn": [:]])["name"]?.stringValue)
        let direct = uniqueRoom("direct")
        #expect(try await server.request("GET", "/parties/session/\(direct)").status == 200)
        try await waitForStatus(server, name, "ready")
        let stream = try await server.statusStream("session", name)
        let all = try await EventStreamClient.open(port: server.port, path: "/_party/events", headers: [("Authorization", "Bearer \(controlKey)")])
        let updates = try server.application.rooms.statusUpdates(server: "session", name: name)
        let directUpdates = try server.application.rooms.statusUpdates(server: "session", name: direct)
        try await waitUntil("the replay arrived") { stream.events.count == 4 }
        try await server.shutdown()
        try await waitUntil("the streams ended") { stream.hasEnded && all.hasEnded }
        var seen: [RoomStatusEvent] = []
        for await event in updates { seen.append(event) }
        #expect(seen.map(\.status) == [.scheduled, .loading, .starting, .ready])
        var directSeen: [RoomStatusEvent] = []
        for await event in directUpdates { directSeen.append(event) }
        #expect(directSeen.map(\.status) == [.scheduled, .loading, .starting, .ready, .terminating, .terminated])
        #expect(directSeen.last?.terminationReason == .shutdown)
    }
}
