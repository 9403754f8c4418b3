import Foundation
@testable import PartyCluster
import NIOCore
import PostgresNIO
import PartyClient
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

/// Several `partyserver` nodes on one real PostgreSQL: one owner per room, forwarding through any
/// node, failover after `kill -9`, and a paused owner fenced off.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct ClusterTests {
    @Test func fiftyClientsThroughThreeNodesShareOneRoomStartedOnce() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            let nodes = cluster.nodes
            let clients = try await withThrowingTaskGroup(of: (Int, TestWebSocket).self) { group in
                for index in 0..<50 {
                    group.addTask { (index, try await TestWebSocket.connect(url: "\(nodes[index % 3].ws)/parties/chat/crowd?_pk=c\(index)")) }
                }
                return try await group.reduce(into: [Int: TestWebSocket]()) { $0[$1.0] = $1.1 }
            }
            // One activation: the first acquisition's token, never raised.
            #expect(try await cluster.token("chat", "crowd") == 1)
            for (index, client) in clients { try await client.send(text: "from \(index)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, client) in clients {
                    group.addTask {
                        var seen = Set<String>()
                        while seen.count < 49 {
                            let text = try await client.nextText(timeout: .seconds(20))
                            #expect(text != "from \(index)", "a client got its own message")
                            seen.insert(text)
                        }
                        #expect(seen == Set((0..<50).filter { $0 != index }.map { "from \($0)" }))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await cluster.metric("partyserver_rooms_live{server=\"chat\"}") == 1)
            for client in clients.values { try await client.close() }
        }
    }

    @Test func httpAndWebSocketThroughAnyNodeBehaveAsThroughTheOwner() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            let nodes = cluster.nodes
            // One at a time: the first places the room, so exactly two of the three are relayed.
            var watchers: [TestWebSocket] = []
            for node in nodes { watchers.append(try await TestWebSocket.connect(url: "\(node.ws)/parties/counter/shared")) }
            for watcher in watchers { #expect(try await watcher.nextText() == #"{"count":0}"#) }
            for count in 1...6 {
                let node = nodes[count % 3]
                let response = try await TestHTTPClient.request("POST", port: node.port, path: "/parties/counter/shared")
                #expect(response.status == 200)
                #expect(response.text == "{\"count\":\(count)}", "POST through \(node.id)")
                #expect(response.header("x-partyserver-forwarded-by") == nil)
                for watcher in watchers { #expect(try await watcher.nextText() == "{\"count\":\(count)}") }
            }
            let owner = try #require(try await cluster.lease("counter", "shared")).node
            for node in nodes {
                #expect(try await TestHTTPClient.get(url: "\(node.http)/parties/counter/shared").text == #"{"count":6}"#)
                let refused = try await TestHTTPClient.request("PUT", port: node.port, path: "/parties/counter/shared")
                #expect(refused.status == 405, "PUT through \(node.id) (owner \(owner))")
                #expect(refused.header("allow") == "GET, HEAD, POST")
                #expect(try await TestHTTPClient.get(url: "\(node.http)/parties/counter/shared/sub").status == 404)
                #expect(try await TestHTTPClient.get(url: "\(node.http)/parties/nope/shared").status == 404)
            }
            // A WebSocket message through a non-owner reaches the room; a close code passes both ways.
            let relayed = try #require(watchers.indices.first { nodes[$0].id != owner })
            try await watchers[relayed].send(text: "inc")
            for watcher in watchers { #expect(try await watcher.nextText() == #"{"count":7}"#) }
            try await watchers[relayed].send(text: "bogus")
            #expect(try await watchers[relayed].nextText().contains("unknown message"))
            try await watchers[relayed].close(code: 4000, reason: "done")
            #expect(try await watchers[relayed].waitForClose().code == 4000)
            // POSTs through the two other nodes, and three requests each through them.
            let forwardedPosts = (1...6).filter { nodes[$0 % 3].id != owner }.count
            #expect(try await cluster.metric("partyserver_cluster_forwarded_requests_total") == Double(forwardedPosts + 2 * 3))
            #expect(try await cluster.metric("partyserver_cluster_forwarded_connections_total") == 2)
        }
    }

    @Test func killingTheOwnerMovesItsRoomWithItsStateWithinTwoLeaseTimes() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            for _ in 1...3 { _ = try await TestHTTPClient.request("POST", port: cluster.nodes[0].port, path: "/parties/counter/failover") }
            let owner = try #require(try await cluster.lease("counter", "failover")).node
            let survivor = try cluster.other(than: owner)
            let watcher = try await TestWebSocket.connect(url: "\(survivor.ws)/parties/counter/failover")
            #expect(try await watcher.nextText() == #"{"count":3}"#)
            // A reconnecting client, relayed to the owner through the survivor.
            let socket = try RunningSocket.start(PartySocketOptions(host: "127.0.0.1:\(survivor.port)", room: "failover", party: "counter"))
            try await socket.waitOpen()
            try cluster.signal(owner, SIGKILL)
            let killed = ContinuousClock.now
            // The relay to the dead owner ends: the client is told to reconnect.
            #expect(try await watcher.waitForClose().code == 1012)
            let count = try await eventually("the room answers on a live node", timeout: .seconds(cluster.leaseSeconds * 2)) {
                let response = try await TestHTTPClient.request("POST", port: survivor.port, path: "/parties/counter/failover", timeout: .seconds(2))
                return response.status == 200 ? .done(response.text) : .pending("\(response.status) \(response.text)")
            }
            let elapsed = ContinuousClock.now - killed
            #expect(count == #"{"count":4}"#)
            let moved = try #require(try await cluster.lease("counter", "failover"))
            #expect(moved.node != owner)
            #expect(moved.token == 2)
            #expect(try await cluster.metric("partyserver_cluster_failovers_total") == 1)
            print("failover after kill -9: \(elapsed)")
            // The PartySocket reconnected by itself and follows the room on its new node.
            try await eventually("the PartySocket got the count from the new owner") {
                socket.texts.last == #"{"count":4}"# ? .done(()) : .pending("texts \(socket.texts), opens \(socket.opens)")
            }
            #expect(socket.opens >= 2)
            try await socket.close()
        }
    }

    @Test func aPausedOwnerLosesItsRoomAndNoLongerAnswersForIt() async throws {
        try await ClusterFixture.with(nodes: 2) { cluster in
            for _ in 1...2 { _ = try await TestHTTPClient.request("POST", port: cluster.nodes[0].port, path: "/parties/counter/paused") }
            let owner = try #require(try await cluster.lease("counter", "paused")).node
            let other = try cluster.other(than: owner)
            try cluster.signal(owner, SIGSTOP)
            // No request reaches the paused owner: its lease runs out in the database.
            try await waitUntil(timeout: .seconds(cluster.leaseSeconds * 2 + 5), "the paused owner's lease expired") {
                try await cluster.lease("counter", "paused") == nil
            }
            let taken = try await TestHTTPClient.request("POST", port: other.port, path: "/parties/counter/paused")
            #expect(taken.text == #"{"count":3}"#)
            #expect(try await cluster.lease("counter", "paused")?.node == other.id)
            #expect(try await cluster.token("counter", "paused") == 2)
            try cluster.signal(owner, SIGCONT)
            // Its lease is too old to trust: it forwards to the new owner instead of answering itself.
            let resumed = try cluster.node(owner)
            let answer = try await TestHTTPClient.request("POST", port: resumed.port, path: "/parties/counter/paused")
            #expect(answer.text == #"{"count":4}"#)
            #expect(try await TestHTTPClient.get(url: "\(other.http)/parties/counter/paused").text == #"{"count":4}"#)
            #expect(try await TestHTTPClient.get(url: "\(resumed.http)/parties/counter/paused").text == #"{"count":4}"#)
            #expect(try await cluster.lease("counter", "paused")?.node == other.id)
            let stored = try await cluster.database.query("SELECT value FROM party_kv WHERE server = 'counter' AND room = 'paused'")
            #expect(try stored.first.map { String(buffer: try $0.decode(ByteBuffer.self)) } == "4")
        }
    }

    @Test func anAlarmDueWhileItsOwnerDiesFiresOnceOnAnotherNode() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            let client = try await TestWebSocket.connect(url: "\(cluster.nodes[0].ws)/parties/counter/alarmed")
            #expect(try await client.nextText() == #"{"count":0}"#)
            try await client.send(text: "inc")
            #expect(try await client.nextText() == #"{"count":1}"#)
            try await client.send(text: "reset-in:1500")
            #expect(try await client.nextText().hasPrefix(#"{"resetAt":"#))
            let owner = try #require(try await cluster.lease("counter", "alarmed")).node
            try cluster.signal(owner, SIGKILL)
            let survivor = try cluster.other(than: owner)
            // Nobody touches the room: a surviving node adopts the stored alarm and fires it.
            try await waitUntil(timeout: .seconds(cluster.leaseSeconds * 4 + 10), "the alarm fired on a surviving node") {
                (try? await cluster.metric("partyserver_alarms_fired_total")) == 1
            }
            #expect(try await TestHTTPClient.get(url: "\(survivor.http)/parties/counter/alarmed").text == #"{"count":0}"#)
            let alarms = try await cluster.database.query("SELECT count(*) FROM party_alarms WHERE room = 'alarmed'")
            #expect(try alarms.first?.decode(Int64.self) == 0)
            #expect(try await cluster.metric("partyserver_alarms_fired_total") == 1)
        }
    }

    @Test func aNodeStoppedWithSIGTERMHandsItsRoomsOverAtOnce() async throws {
        try await ClusterFixture.with(nodes: 2, leaseSeconds: 30) { cluster in
            let leaving = try cluster.node("n1"), staying = try cluster.node("n2")
            #expect(try await TestHTTPClient.request("POST", port: leaving.port, path: "/parties/counter/handover").text == #"{"count":1}"#)
            #expect(try await cluster.lease("counter", "handover")?.node == "n1")
            let client = try await TestWebSocket.connect(url: "\(leaving.ws)/parties/counter/handover")
            #expect(try await client.nextText() == #"{"count":1}"#)
            try await stop(leaving.process, with: SIGTERM)
            #expect(try await client.waitForClose().code == 1012)
            // The lease was given back: the other node takes the room at once, not after 30 s.
            #expect(try await cluster.lease("counter", "handover") == nil)
            let answer = try await TestHTTPClient.request("POST", port: staying.port, path: "/parties/counter/handover", timeout: .seconds(5))
            #expect(answer.text == #"{"count":2}"#)
            #expect(try await cluster.lease("counter", "handover")?.node == "n2")
        }
    }

    @Test func workersCreatedInTheDatabaseAuthenticateOnEveryNode() async throws {
        try await ClusterFixture.with(nodes: 2) { cluster in
            let url = cluster.test.url.description
            let created = try await Self.run(["worker", "create", "--name", "indexer", "--database-url", url])
            var values: [String: String] = [:]
            for line in created.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            let id = try #require(values["PARTYSERVER_WORKER_ID"]), secret = try #require(values["PARTYSERVER_WORKER_SECRET"])
            for node in cluster.nodes {
                let accepted = try await TestHTTPClient.request(
                    "POST", port: node.port, path: "/parties/counter/workers", headers: [("Authorization", "PartyWorker \(id):\(secret)")]
                )
                #expect(accepted.status == 200, "worker through \(node.id)")
                let refused = try await TestHTTPClient.request(
                    "POST", port: node.port, path: "/parties/counter/workers", headers: [("Authorization", "PartyWorker \(id):wrong")]
                )
                #expect(refused.status == 401, "wrong secret through \(node.id)")
            }
            #expect(try await Self.run(["worker", "list", "--database-url", url]).contains("indexer"))
            _ = try await Self.run(["worker", "revoke", id, "--database-url", url])
            for node in cluster.nodes {
                let revoked = try await TestHTTPClient.request(
                    "POST", port: node.port, path: "/parties/counter/workers", headers: [("Authorization", "PartyWorker \(id):\(secret)")]
                )
                #expect(revoked.status == 401, "revoked worker through \(node.id)")
            }
        }
    }

    /// Runs `partyserver ARGUMENTS` to the end; returns its output (it must exit with 0).
    static func run(_ arguments: [String]) async throws -> String {
        let process = try ChildProcess.spawn(partyserverExecutable, arguments: arguments)
        try await waitUntil(timeout: .seconds(30), "partyserver \(arguments.first ?? "") finished") { process.hasFinished }
        let status = process.reapExitCode()
        let output = process.outputTail(lines: 100)
        try #require(status == 0, "partyserver \(arguments.joined(separator: " ")) failed:\n\(output)")
        return output
    }
}
#endif
