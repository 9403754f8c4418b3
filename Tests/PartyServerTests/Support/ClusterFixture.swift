import Foundation
@testable import PartyCluster
import PartyServerTesting
import PostgresNIO
import Synchronization
import Testing

#if os(Linux)
import Glibc

/// Several `partyserver` processes (nodes) on one fresh PostgreSQL database, on loopback.
final class ClusterFixture: Sendable {
    /// One running node.
    struct Node: Sendable {
        let id: String
        let process: ChildProcess
        let port: Int
        var http: String { "http://127.0.0.1:\(port)" }
        var ws: String { "ws://127.0.0.1:\(port)" }
    }

    let test: PostgresTestDatabase
    let database: ClusterDatabase
    let leaseSeconds: Double
    let dataDirectory: String
    private let running = Mutex<[Node]>([])

    /// Whether the fixture created the database (and drops it).
    let ownsDatabase: Bool

    private init(test: PostgresTestDatabase, database: ClusterDatabase, leaseSeconds: Double, ownsDatabase: Bool) {
        self.ownsDatabase = ownsDatabase
        self.test = test
        self.database = database
        self.leaseSeconds = leaseSeconds
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-cluster-\(UUID().uuidString)").path
    }

    /// A fresh database and `count` nodes `n1`, `n2`… with leases of `leaseSeconds`.
    static func start(nodes count: Int, leaseSeconds: Double = 2, databaseURL: PostgresURL? = nil, arguments: [String] = []) async throws -> ClusterFixture {
        let test: PostgresTestDatabase
        if let databaseURL {
            test = PostgresTestDatabase(url: databaseURL)
        } else {
            test = try await PostgresTestDatabase.create()
        }
        let fixture = ClusterFixture(test: test, database: try await test.open(), leaseSeconds: leaseSeconds, ownsDatabase: databaseURL == nil)
        for index in 1...count { _ = try await fixture.startNode("n\(index)", arguments: arguments) }
        return fixture
    }

    /// The nodes started and not stopped.
    var nodes: [Node] { running.withLock { $0 } }

    /// Starts node `id` with extra `serve` arguments.
    func startNode(_ id: String, arguments: [String] = []) async throws -> Node {
        let (process, port) = try await startPartyServerProcess([
            "--database-url", test.url.description, "--node-id", id, "--lease-seconds", "\(leaseSeconds)",
            "--data-dir", "\(dataDirectory)/\(id)", "--message-rate", "0",
        ] + arguments)
        let node = Node(id: id, process: process, port: port)
        running.withLock { $0.append(node) }
        return node
    }

    /// The node `id`.
    func node(_ id: String) throws -> Node {
        try #require(nodes.first { $0.id == id }, "node \(id) runs")
    }

    /// Kills node `id` with `signal` and forgets it (SIGKILL) or keeps it (SIGSTOP).
    func signal(_ id: String, _ signal: Int32) throws {
        let node = try node(id)
        node.process.signalGroup(signal)
        if signal == SIGKILL {
            node.process.reap()
            running.withLock { $0.removeAll { $0.id == id } }
        }
    }

    /// The holder of the room's unexpired lease and its fencing token.
    func lease(_ server: String, _ room: String) async throws -> (node: String, token: Int64)? {
        let rows = try await database.query("""
            SELECT node_id, token FROM party_room_leases WHERE server = \(server) AND room = \(room) AND expires_at > now()
            """)
        return try rows.first.map { try $0.decode((String, Int64).self) }
    }

    /// The fencing token of the room's lease, expired or not.
    func token(_ server: String, _ room: String) async throws -> Int64? {
        let rows = try await database.query("SELECT token FROM party_room_leases WHERE server = \(server) AND room = \(room)")
        return try rows.first.map { try $0.decode(Int64.self) }
    }

    /// A node that is not `id`.
    func other(than id: String) throws -> Node {
        try #require(nodes.first { $0.id != id }, "a node other than \(id) runs")
    }

    /// The sum of a metric's samples over the running nodes' `/metrics`.
    func metric(_ name: String) async throws -> Double {
        var total = 0.0
        for node in nodes {
            let text = try await TestHTTPClient.get(url: "\(node.http)/metrics").text
            for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
                total += Double(line.split(separator: " ").last ?? "0") ?? 0
            }
        }
        return total
    }

    /// Stops every node (SIGKILL: the database is thrown away) and drops the database (unless it
    /// was given: its server is the caller's).
    func stop() async {
        for node in running.withLock({ $0 }) {
            node.process.signalGroup(SIGCONT)
            node.process.signalGroup(SIGKILL)
            node.process.reap()
        }
        running.withLock { $0.removeAll() }
        await database.close()
        if ownsDatabase { await test.drop() }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Runs `body` with a started cluster, then stops it.
    static func with(nodes: Int, leaseSeconds: Double = 2, arguments: [String] = [], _ body: (ClusterFixture) async throws -> Void) async throws {
        let fixture = try await start(nodes: nodes, leaseSeconds: leaseSeconds, arguments: arguments)
        do {
            try await body(fixture)
        } catch {
            for node in fixture.nodes { print("---- \(node.id)\n\(node.process.outputTail(lines: 40))") }
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
#endif
