import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Testing

/// Starts a test server with the probe rooms and the limit test rooms registered.
func withLimitServer<T: Sendable>(
    configuration: PartyConfiguration = PartyConfiguration(),
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    try await PartyTestServer.withServer(configuration: configuration, { app in
        try app.register(Probe.self)
        try app.register(GatedStart.self)
        try app.register(SlowRoom.self)
        try app.register(SleepyRoom.self)
    }, body)
}

extension PartyTestServer {
    /// The running server's admission counts.
    var admission: Admission {
        get throws { try #require(application.registry).services.admission }
    }

    /// The running server's liveness sweeper.
    var liveness: LivenessSweeper {
        get throws { try #require(application.edge).liveness }
    }

    /// Moves `clock` (the connection clock) to the sweeper's next pass and waits until it ran;
    /// returns the connection clock's time of that pass.
    @discardableResult
    func sweep(_ clock: ManualClock) async throws -> Date {
        let liveness = try self.liveness
        let before = liveness.sweeps
        let due = liveness.nextSweep
        clock.advance(to: due)
        try await waitUntil("sweep \(before + 1) ran") { liveness.sweeps > before }
        return due
    }

    /// Sweeps until `condition` holds, at most `limit` passes; returns how many passes it took.
    /// After a pass that pinged or closed a connection, waits (within a deadline) for `condition`
    /// before time moves on, so a ping or close still on its way to the peer is not outrun by
    /// the next passes (a ping unanswered only because it had not arrived yet).
    @discardableResult
    func sweep(_ clock: ManualClock, until what: String, limit: Int = 100, _ condition: () async throws -> Bool) async throws -> Int {
        for pass in 0..<limit {
            if try await condition() { return pass }
            try await sweep(clock)
            if try liveness.lastPassActions > 0 {
                _ = try? await waitUntil(timeout: .seconds(5), what, condition)
            }
        }
        if try await condition() { return limit }
        throw ConditionTimedOut(condition: what, timeout: .zero, lastObservation: "still false after \(limit) sweeps")
    }

    /// One pass; if it pinged, waits for the ping to reach `socket` (the only connection that can
    /// have been pinged) and for the server to read its pong, so time never outruns a healthy
    /// peer. Returns whether it pinged.
    @discardableResult
    func sweep(_ clock: ManualClock, answeredBy socket: TestWebSocket) async throws -> Bool {
        try await sweep(clock)
        guard try liveness.lastPassPings > 0 else { return false }
        try await waitUntil("the ping reached the client") { socket.drainEvents().contains { $0.isPing } }
        try await waitForSignsOfLife()
        return true
    }

    /// Waits until the server has seen a sign of life (a frame) from at least `count` connections
    /// since its last pass, e.g. the pong answering a ping, before time moves on.
    func waitForSignsOfLife(_ count: Int = 1) async throws {
        let liveness = try self.liveness
        try await waitUntil("\(count) connections showed a sign of life") { liveness.activeCount >= count }
    }

    /// Waits until the admission counts of connections and rooms are back to zero connections.
    func waitForNoConnections() async throws {
        let admission = try self.admission
        try await waitUntil("every connection released") {
            let counts = admission.counts
            return counts.connections == 0 && counts.roomConnections.isEmpty
        }
    }
}

extension TestWebSocket.Event {
    /// Whether the event is a ping from the server.
    var isPing: Bool {
        if case .ping = self { return true }
        return false
    }
}
