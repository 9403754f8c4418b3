import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// A write that cannot be stored resets its room, so memory never runs ahead of storage.
@Suite("Room reset after a failed write")
struct RoomResetTests {
    private static func withBlobServer<T: Sendable>(
        capture: LogCapture = LogCapture(), _ body: (PartyTestServer) async throws -> T
    ) async throws -> T {
        var configuration = PartyConfiguration()
        configuration.storage.maxDatabaseBytes = 256 * 1024
        let server = try await PartyTestServer.start(configuration: configuration, logger: capture.logger(level: .info)) { app in
            try app.register(BlobCounter.self)
        }
        return try await server.shuttingDown(after: body)
    }

    @Test("an event whose writes do not fit: none of them is stored, the room's memory is discarded, every connection closes with 1011")
    func failedEventResetsTheRoom() async throws {
        let capture = LogCapture()
        try await Self.withBlobServer(capture: capture) { server in
            let name = uniqueRoom("reset")
            let alice = try await server.webSocket("/parties/blob-counter/\(name)")
            let bob = try await server.webSocket("/parties/blob-counter/\(name)")
            try await alice.send(text: "inc:10")
            #expect(try await alice.nextText() == "count 1")
            let alarmBefore = try await server.request("GET", "/parties/blob-counter/\(name)/alarm").text
            #expect(alarmBefore != "none")

            // count 2 in memory, the count and a blob too big for the database in one event.
            try await alice.send(text: "inc:400000")
            for socket in [alice, bob] {
                let close = try await socket.waitForClose()
                #expect(close.code == 1011)
                #expect(close.reason == "storage full: the write was not stored")
            }
            // A new instance: it reads the stored count, not the 2 the old one had in memory.
            #expect(try await server.request("GET", "/parties/blob-counter/\(name)").text == "count 1")
            #expect(try await server.request("GET", "/parties/blob-counter/\(name)/stored").text == "count 1")
            #expect(try await server.request("GET", "/parties/blob-counter/\(name)/alarm").text == alarmBefore)

            let carol = try await server.webSocket("/parties/blob-counter/\(name)")
            try await carol.send(text: "inc:10")
            #expect(try await carol.nextText() == "count 2")
            let metrics = try await server.request("GET", "/metrics").text
            #expect(MetricsTests.value(#"partyserver_room_resets_total{server="blob-counter"}"#, in: metrics) == 1)
            // One line says what happened, with the cause.
            let lines = capture.lines(atLeast: .warning).filter { $0.mentions(name) }
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.level == .error)
            #expect(lines.first?.message.contains("the room is reset") == true)
        }
    }

    @Test("a POST whose write does not fit gets 507 and changes nothing, in memory or in storage")
    func failedRequestResetsTheRoom() async throws {
        try await Self.withBlobServer { server in
            let name = uniqueRoom("reset")
            #expect(try await server.request("POST", "/parties/blob-counter/\(name)", body: "small").text == "count 1")
            let refused = try await server.request("POST", "/parties/blob-counter/\(name)", body: String(repeating: "x", count: 400_000))
            #expect(refused.status == 507)
            #expect(refused.text.contains("storage full"))
            #expect(try await server.request("GET", "/parties/blob-counter/\(name)").text == "count 1")
            #expect(try await server.request("POST", "/parties/blob-counter/\(name)", body: "small").text == "count 2")
            #expect(try await server.request("GET", "/parties/blob-counter/\(name)/stored").text == "count 2")
        }
    }
}
