import Foundation
@testable import PartyServer
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
    }, body)
}

extension PartyTestServer {
    /// The running server's admission counts.
    var admission: Admission {
        get throws { try #require(application.registry).services.admission }
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
