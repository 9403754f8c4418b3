import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// Starts a control test server (API key `controlKey`, the control test rooms) on
/// `dataDirectory`, which it keeps, on `clock` if given.
func startDurableControlServer(
    dataDirectory: String,
    clock: ManualClock? = nil,
    configure: (inout PartyConfiguration) -> Void = { _ in }
) async throws -> PartyTestServer {
    var configuration = PartyConfiguration(dataDirectory: dataDirectory)
    configuration.control.apiKey = controlKey
    if let clock { configuration.clock = clock }
    configure(&configuration)
    return try await PartyTestServer.start(configuration: configuration, keepDataDirectory: true) { app in
        try app.register(Session.self)
        try app.register(Notebook.self)
        try app.register(Scratch.self)
    }
}

/// Runs `before` on a control server with a fresh data directory, shuts it down gracefully,
/// starts a second one on the same directory (and `clock`) and runs `after` with it and what
/// `before` returned; removes the directory at the end.
func withRestartedControlServer<T: Sendable>(
    clock: ManualClock? = nil,
    configure: (inout PartyConfiguration) -> Void = { _ in },
    before: (PartyTestServer) async throws -> T,
    after: (PartyTestServer, T) async throws -> Void
) async throws {
    let directory = temporaryDataDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let context = try await startDurableControlServer(dataDirectory: directory, clock: clock, configure: configure).shuttingDown(after: before)
    try await startDurableControlServer(dataDirectory: directory, clock: clock, configure: configure).shuttingDown { server in
        try await after(server, context)
    }
}

/// The stored control records of a running server, by room name.
func storedControlRooms(_ server: PartyTestServer) async throws -> Set<String> {
    let registry = try #require(server.application.registry)
    return Set(try await registry.services.engine.loadControlRecords().map(\.room))
}

/// An ISO 8601 time as the control API writes it (`2026-05-01T09:00:00.120Z`).
func controlTime(_ value: JSONValue?) -> Date? {
    guard let text = value?.stringValue else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}
