import Foundation
import PartyServer
import PartyServerTesting
@testable import PartyRuntime
import Testing

@Suite("Reconnection window")
struct ReconnectionTests {
    private func withSeats(clock: ManualClock, _ body: (PartyTestServer) async throws -> Void) async throws {
        var configuration = PartyConfiguration()
        configuration.clock = clock
        let server = try await PartyTestServer.start(configuration: configuration) { app in
            try app.register(SeatedRoom.self, as: "seated")
            try app.register(SoloSeat.self, as: "solo")
        }
        try await server.shuttingDown(after: body)
    }

    /// A client that scores `score`, then vanishes without a closing handshake.
    private func scoreAndVanish(_ server: PartyTestServer, room: String, id: String, score: Int) async throws {
        let raw = try await RawWebSocket.open(port: server.port, path: "/parties/seated/\(room)?_pk=\(id)")
        _ = try await raw.waitForFrame("the greeting") { $0.opcode == WireFrame.text }
        try await raw.sendFrame(WireFrame.text, Array("score:\(score)".utf8))
        _ = try await raw.waitForFrame("the score") { $0.opcode == WireFrame.text && String(decoding: $0.payload, as: UTF8.self).hasPrefix("score=") }
        raw.connection.resetAndClose()
    }

    @Test("a client that drops and returns within the window keeps its state and tags: onDrop, then onReconnect, never onClose")
    func returnsWithinWindow() async throws {
        let clock = ManualClock()
        try await withSeats(clock: clock) { server in
            let room = "within-\(UUID().uuidString.prefix(8))"
            try await scoreAndVanish(server, room: room, id: "ada", score: 7)
            try await waitUntil("the drop was seen") { Recorder.shared.events(room).contains("drop ada 1006") }
            clock.advance(by: .seconds(29))
            let back = try await server.webSocket("/parties/seated/\(room)?_pk=ada")
            #expect(try await back.nextText() == "welcome back score=7 tags=ada,player")
            clock.advance(by: .seconds(60))
            try await back.send(text: "status")
            #expect(try await back.nextText() == "score=7 tags=ada,player")
            #expect(Recorder.shared.events(room) == ["connect ada", "drop ada 1006", "reconnect ada"])
        }
    }

    @Test("after the window, onClose runs with how it dropped, and a return is a newcomer")
    func returnsAfterWindow() async throws {
        let clock = ManualClock()
        try await withSeats(clock: clock) { server in
            let room = "after-\(UUID().uuidString.prefix(8))"
            try await scoreAndVanish(server, room: room, id: "bob", score: 3)
            try await waitUntil("the drop was seen") { Recorder.shared.events(room).contains("drop bob 1006") }
            try await advance(clock, by: .seconds(31), until: "the window passed") { Recorder.shared.events(room).contains("close bob 1006") }
            let back = try await server.webSocket("/parties/seated/\(room)?_pk=bob")
            #expect(try await back.nextText() == "hello bob")
            try await back.send(text: "status")
            #expect(try await back.nextText() == "score=- tags=bob,player")
            #expect(Recorder.shared.events(room) == ["connect bob", "drop bob 1006", "close bob 1006", "connect bob"])
        }
    }

    @Test("a client that reconnects before its old connection was seen to drop takes its place; a clean close leaves at once")
    func takeoverAndCleanClose() async throws {
        let clock = ManualClock()
        try await withSeats(clock: clock) { server in
            let room = "blip-\(UUID().uuidString.prefix(8))"
            let first = try await server.webSocket("/parties/seated/\(room)?_pk=carl")
            #expect(try await first.nextText() == "hello carl")
            try await first.send(text: "score:5")
            #expect(try await first.nextText() == "score=5 tags=carl,player")
            let second = try await server.webSocket("/parties/seated/\(room)?_pk=carl")
            #expect(try await second.nextText() == "welcome back score=5 tags=carl,player")
            #expect(try await first.next() == .disconnected)
            try await second.close()
            try await waitUntil("the clean close ran onClose") { Recorder.shared.events(room).contains("close carl 1000") }
            #expect(Recorder.shared.events(room) == ["connect carl", "reconnect carl", "close carl 1000"])
        }
    }

    @Test("a dropped client keeps its seat for the window: another client is refused, the dropped one gets back in, and the seat frees when it leaves")
    func seatKept() async throws {
        let clock = ManualClock()
        try await withSeats(clock: clock) { server in
            let room = "solo-\(UUID().uuidString.prefix(8))"
            let raw = try await RawWebSocket.open(port: server.port, path: "/parties/solo/\(room)?_pk=dee")
            _ = try await raw.waitForFrame("the greeting") { $0.opcode == WireFrame.text }
            raw.connection.resetAndClose()
            let key = RoomKey(server: "solo", name: room)
            try await waitUntil("the drop was seen and the seat is held") {
                let counts = try server.admission.counts
                return counts.roomConnections[key] == nil && counts.seats[key]?.reservations.keys.contains("dropped:dee") == true
            }
            // The only seat is held for dee: another client is refused.
            let refused = await #expect(throws: TestWebSocketError.self) {
                _ = try await TestWebSocket.connect(port: server.port, path: "/parties/solo/\(room)?_pk=eve")
            }
            if case .upgradeRejected(let status, _, _)? = refused { #expect(status == 503) }
            let back = try await server.webSocket("/parties/solo/\(room)?_pk=dee")
            #expect(try await back.nextText() == "welcome back dee")
            // The same client again while its connection is open (a blip not noticed yet): it takes
            // its own seat over, the room being full or not.
            let again = try await server.webSocket("/parties/solo/\(room)?_pk=dee")
            #expect(try await again.nextText() == "welcome back dee")
            #expect(try await back.next() == .disconnected)
            try await again.close()
            // Once the client left for good, the seat is free.
            try await waitUntil("the seat freed") { (try? await TestWebSocket.connect(port: server.port, path: "/parties/solo/\(room)?_pk=eve")) != nil }
        }
    }
}
