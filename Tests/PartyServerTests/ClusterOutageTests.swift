import Foundation
@testable import PartyCluster
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// Nodes whose PostgreSQL stops: they stop serving the rooms whose leases they cannot renew
/// (WebSockets closed with 1012, HTTP 503) and serve them again when the database is back.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct ClusterOutageTests {
    /// The repository's `Scripts/postgres`.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/postgres").path

    /// Runs `Scripts/postgres COMMAND DIR` and waits until it exits (the server it starts keeps
    /// running, holding the output pipe).
    static func postgres(_ command: String, _ directory: String) async throws {
        let process = try ChildProcess.spawn("/bin/bash", arguments: [script, command, directory])
        try await waitUntil(timeout: .seconds(120), "Scripts/postgres \(command) finished") { process.hasExited }
        let status = process.reapExitCode()
        try #require(status == 0, "Scripts/postgres \(command) failed:\n\(process.outputTail())")
    }

    /// The URL of the server `Scripts/postgres start DIR` started.
    static func url(_ directory: String) throws -> PostgresURL {
        let port = try String(contentsOfFile: directory + "/port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try PostgresURL("postgres://partyserver@127.0.0.1:\(port)/partyserver")
    }

    @Test func nodesStopServingWhileTheDatabaseIsDownAndRecover() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-outage-\(UUID().uuidString)").path
        try await Self.postgres("start", directory)
        let url = try Self.url(directory)
        let cluster = try await ClusterFixture.start(nodes: 2, databaseURL: url)
        do {
            let owner = try cluster.node("n1")
            let other = try cluster.node("n2")
            #expect(try await TestHTTPClient.request("POST", port: owner.port, path: "/parties/counter/outage").text == #"{"count":1}"#)
            #expect(try await cluster.lease("counter", "outage")?.node == "n1")
            let local = try await TestWebSocket.connect(url: "\(owner.ws)/parties/counter/outage")
            let relayed = try await TestWebSocket.connect(url: "\(other.ws)/parties/counter/outage")
            #expect(try await local.nextText() == #"{"count":1}"#)
            #expect(try await relayed.nextText() == #"{"count":1}"#)

            try await Self.postgres("halt", directory)
            // The owner cannot renew: once its lease is too old to trust, the room stops there.
            #expect(try await local.waitForClose(timeout: .seconds(cluster.leaseSeconds * 3 + 10)).code == 1012)
            #expect(try await relayed.waitForClose().code == 1012)
            for node in [owner, other] {
                let refused = try await TestHTTPClient.request("POST", port: node.port, path: "/parties/counter/outage")
                #expect(refused.status == 503, "POST through \(node.id) while the database is down")
            }

            try await Self.postgres("resume", directory)
            let count = try await eventually("the room is served again", timeout: .seconds(30)) {
                let response = try await TestHTTPClient.request("POST", port: other.port, path: "/parties/counter/outage", timeout: .seconds(3))
                return response.status == 200 ? .done(response.text) : .pending("\(response.status) \(response.text)")
            }
            #expect(count == #"{"count":2}"#)
        } catch {
            for node in cluster.nodes { print("---- \(node.id)\n\(node.process.outputTail(lines: 40))") }
            await cluster.stop()
            try? await Self.postgres("stop", directory)
            throw error
        }
        await cluster.stop()
        try await Self.postgres("stop", directory)
    }
}
#endif
