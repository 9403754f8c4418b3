import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting

/// A fresh, empty data directory under the temporary directory.
func temporaryDataDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-durable-\(UUID().uuidString)").path
}

/// Starts a server on `dataDirectory` (kept across restarts) with the durable test rooms and the
/// ready-made rooms, runs `body`, then shuts it down gracefully.
func withDurableServer<T: Sendable>(
    dataDirectory: String,
    clock: (any PartyClock)? = nil,
    configure: (inout PartyConfiguration) -> Void = { _ in },
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    var configuration = PartyConfiguration(dataDirectory: dataDirectory)
    if let clock { configuration.clock = clock }
    configure(&configuration)
    let server = try await PartyTestServer.start(configuration: configuration, keepDataDirectory: true) { app in
        try app.register(Notebook.self)
        try app.register(Scratch.self)
        try ReadyMadeRooms.register(in: app)
        try app.register(YjsNotes.self, as: YjsNotes.routeName)
    }
    return try await server.shuttingDown(after: body)
}

extension PartyTestServer {
    /// The lifecycle state of a room of this server.
    func state(_ server: String, _ name: String) -> RoomState {
        application.roomState(server: server, name: name)
    }
}

/// Advances `clock` by `step` until `condition` holds (each check may advance it again), failing
/// after a real-time deadline. Advancing more than once is harmless: idle timers and alarms only
/// ever fire late, never early.
func advance(
    _ clock: ManualClock,
    by step: Duration,
    until what: String,
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws {
    try await waitUntil(timeout: timeout, what) {
        if try await condition() { return true }
        clock.advance(by: step)
        return false
    }
}
