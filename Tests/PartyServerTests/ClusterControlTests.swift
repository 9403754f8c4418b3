import Foundation
@testable import PartyCluster
import PostgresNIO
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// The session control API on several `partyserver` nodes sharing one PostgreSQL: keys unique
/// across nodes, a room's status, stream and termination through any node, the list and the
/// all-rooms feed gathered from every node, a keyed room following its key after its owner died.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct ClusterControlTests {
    static let apiKey = "cluster-control-key"
    static let arguments = ["--api-key", apiKey]

    /// A control API request to `node`.
    static func control(_ node: ClusterFixture.Node, _ method: String, _ path: String, _ body: String? = nil) async throws -> TestHTTPResponse {
        try await TestHTTPClient.request(
            method, port: node.port, path: "/_party\(path)",
            headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
            body: body.map { Array($0.utf8) } ?? (method == "POST" ? [] : nil), timeout: .seconds(20)
        )
    }

    /// `POST /connect` through `node`; the answer as JSON (it must be 200).
    static func connect(_ node: ClusterFixture.Node, _ body: String) async throws -> JSONValue {
        let response = try await control(node, "POST", "/connect", body)
        try #require(response.status == 200, "connect through \(node.id): \(response.status) \(response.text)")
        return try JSONValue.parse(response.text)
    }

    @Test func connectingWithOneKeyThroughEveryNodeAtOnceMakesOneRoom() async throws {
        try await ClusterFixture.with(nodes: 3, arguments: Self.arguments) { cluster in
            let nodes = cluster.nodes
            let answers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for index in 0..<12 {
                    group.addTask { try await Self.connect(nodes[index % 3], #"{"server":"counter","key":"match-7","spawn":{}}"#) }
                }
                return try await group.reduce(into: [JSONValue]()) { $0.append($1) }
            }
            let names = Set(answers.compactMap { $0["name"]?.stringValue })
            #expect(names.count == 1, "one room for the key, got \(names)")
            #expect(answers.filter { $0["spawned"]?.boolValue == true }.count == 1)
            let name = try #require(names.first)
            // The database holds the key once, on the room's record.
            let rows = try await cluster.database.query("SELECT room FROM party_control_rooms WHERE server = 'counter' AND held_key = 'match-7'")
            let held = try rows.map { try $0.decode(String.self) }
            #expect(held == [name])
            // Every node answers for it: ready, then it serves through any node.
            for node in nodes {
                let status = try JSONValue.parse(try await Self.control(node, "GET", "/rooms/counter/\(name)/status?wait=ready").text)
                #expect(status["status"]?.stringValue == "ready", "status through \(node.id)")
            }
            #expect(try await TestHTTPClient.request("POST", port: nodes[1].port, path: "/parties/counter/\(name)").text == #"{"count":1}"#)
            let again = try await Self.connect(nodes[2], #"{"server":"counter","key":"match-7","spawn":false}"#)
            #expect(again["name"]?.stringValue == name)
            #expect(again["spawned"]?.boolValue == false)
        }
    }

    @Test func statusStreamListAndTerminationWorkThroughNodesThatDoNotRunTheRoom() async throws {
        try await ClusterFixture.with(nodes: 3, arguments: Self.arguments) { cluster in
            let nodes = cluster.nodes
            let feed = try await EventStreamClient.open(port: nodes[2].port, path: "/_party/events", headers: [("Authorization", "Bearer \(Self.apiKey)")])
            let spawned = try await Self.connect(nodes[0], #"{"server":"counter","key":"lobby","spawn":{}}"#)
            let name = try #require(spawned["name"]?.stringValue)
            let owner = try #require(try await cluster.lease("counter", name)?.node)
            let others = nodes.filter { $0.id != owner }
            try #require(others.count == 2)
            // The answer's URLs name the node the client asked, not the room's node.
            #expect(spawned["url"]?.stringValue == "ws://127.0.0.1:\(nodes[0].port)/parties/counter/\(name)")
            let stream = try await EventStreamClient.open(
                port: others[0].port, path: "/_party/rooms/counter/\(name)/status/stream", headers: [("Authorization", "Bearer \(Self.apiKey)")]
            )
            #expect(stream.status == 200)
            try await waitUntil("the stream through \(others[0].id) reached ready") { stream.statuses.contains("ready") }
            let listed = try JSONValue.parse(try await Self.control(others[1], "GET", "/rooms?server=counter").text)
            let entry = listed["rooms"]?.arrayValue?.first { $0["name"]?.stringValue == name }
            #expect(entry?["status"]?.stringValue == "ready")
            #expect(entry?["key"]?.stringValue == "lobby")
            let terminated = try await Self.control(others[1], "POST", "/rooms/counter/\(name)/terminate")
            #expect(terminated.status == 200, "\(terminated.text)")
            #expect(try JSONValue.parse(terminated.text)["status"]?.stringValue == "terminated")
            try await waitUntil("the relayed stream ended after terminated") { stream.hasEnded }
            #expect(stream.statuses == ["scheduled", "loading", "starting", "ready", "terminating", "terminated"])
            #expect(stream.events.last?.json["termination_reason"]?.stringValue == "external")
            // The feed on a third node saw the room's whole life, run on another node.
            try await waitUntil("the feed through \(nodes[2].id) saw the termination") {
                feed.events.contains { $0.json["name"]?.stringValue == name && $0.status == "terminated" }
            }
            let seen = feed.events.filter { $0.json["name"]?.stringValue == name }.compactMap(\.status)
            #expect(seen == ["scheduled", "loading", "starting", "ready", "terminating", "terminated"])
            // The key is free again: connecting with it makes a new room.
            let next = try await Self.connect(others[0], #"{"server":"counter","key":"lobby","spawn":{}}"#)
            #expect(next["spawned"]?.boolValue == true)
            #expect(next["name"]?.stringValue != name)
            feed.close()
            // Unknown rooms are unknown through every node.
            for node in nodes {
                #expect(try await Self.control(node, "GET", "/rooms/counter/nobody-here/status").status == 404)
            }
        }
    }

    @Test func aKeyedRoomFollowsItsKeyToAnotherNodeAfterItsOwnerIsKilled() async throws {
        try await ClusterFixture.with(nodes: 3, arguments: Self.arguments) { cluster in
            let spawned = try await Self.connect(cluster.nodes[0], #"{"server":"counter","key":"survivor","spawn":{},"user":"ada"}"#)
            let name = try #require(spawned["name"]?.stringValue)
            let token = try #require(spawned["token"]?.stringValue)
            let owner = try #require(try await cluster.lease("counter", name)?.node)
            let ownerNode = try cluster.node(owner)
            _ = try await Self.control(ownerNode, "GET", "/rooms/counter/\(name)/status?wait=ready")
            #expect(try await TestHTTPClient.request("POST", port: ownerNode.port, path: "/parties/counter/\(name)?token=\(token)").text == #"{"count":1}"#)
            try cluster.signal(owner, SIGKILL)
            let survivor = try cluster.other(than: owner)
            // Within two lease times the key leads to the same room on a live node, which took its record over.
            let again: JSONValue = try await eventually("the key's room answers again", timeout: .seconds(cluster.leaseSeconds * 2 + 10)) {
                let response = try await Self.control(survivor, "POST", "/connect", #"{"server":"counter","key":"survivor","spawn":false,"user":"ada"}"#)
                guard response.status == 200 else { return .pending("\(response.status) \(response.text)") }
                return .done(try JSONValue.parse(response.text))
            }
            #expect(again["name"]?.stringValue == name)
            #expect(again["spawned"]?.boolValue == false)
            let status = try JSONValue.parse(try await Self.control(survivor, "GET", "/rooms/counter/\(name)/status").text)
            #expect(status["status"]?.stringValue == "ready")
            // Its storage and its token rule came along; a token the dead node issued still works.
            let refused = try await TestHTTPClient.request("POST", port: survivor.port, path: "/parties/counter/\(name)")
            #expect(refused.status == 401)
            #expect(try await TestHTTPClient.request("POST", port: survivor.port, path: "/parties/counter/\(name)?token=\(token)").text == #"{"count":2}"#)
            let newToken = try #require(again["token"]?.stringValue)
            #expect(try await TestHTTPClient.request("POST", port: survivor.port, path: "/parties/counter/\(name)?token=\(newToken)").text == #"{"count":3}"#)
        }
    }
}
#endif
