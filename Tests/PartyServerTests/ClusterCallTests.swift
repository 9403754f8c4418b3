import Foundation
@testable import PartyCluster
@testable import PartyRuntime
@testable import PartyServer
import NIOCore
import PostgresNIO
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// Room calls between `partyserver` nodes on one real PostgreSQL, with the ready-made `tally`
/// rooms: a room on one node calls a room another node owns.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct ClusterCallTests {
    @Test func aCallReachesTheRoomAnotherNodeOwnsAndItsWriteIsDurable() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            let (target, caller) = try await Self.placePair(cluster)
            let third = try #require(cluster.nodes.first { $0.id != target.owner && $0.id != caller.owner })
            // Through the caller's own node: the HTTP request is served there, the room call crosses.
            let node = try cluster.node(caller.owner)
            let fetched = try await TestHTTPClient.request("POST", port: node.port, path: "/parties/tally/\(caller.name)/fetch/\(target.name)?amount=5")
            #expect(fetched.status == 200)
            #expect(fetched.text == #"{"total":5}"#)
            #expect(fetched.header("x-tally-caller") == "tally/\(caller.name)", "the callee saw the calling room")
            #expect(fetched.header("x-partyserver-forwarded-by") == nil)
            let called = try await TestHTTPClient.request("POST", port: node.port, path: "/parties/tally/\(caller.name)/call/\(target.name)?amount=7")
            #expect(called.status == 200)
            #expect(called.text == #"{"total":12}"#)
            // Both calls ran on the target's owner, and nothing moved.
            #expect(try await cluster.lease("tally", target.name)?.node == target.owner)
            #expect(try await cluster.lease("tally", caller.name)?.node == caller.owner)
            #expect(try await cluster.metric("partyserver_cluster_forwarded_calls_total") == 2)
            #expect(try await TestHTTPClient.get(url: "\(third.http)/parties/tally/\(target.name)").text == #"{"total":12}"#)
            #expect(try await TestHTTPClient.get(url: "\(third.http)/parties/tally/\(caller.name)").text == #"{"total":0}"#)
            let stored = try await cluster.database.query("SELECT value FROM party_kv WHERE server = 'tally' AND room = \(target.name)")
            #expect(try stored.first.map { String(buffer: try $0.decode(ByteBuffer.self)) } == "12")
        }
    }

    @Test func aCalleeErrorOnAnotherNodeReachesTheCallerAsFailedWithItsMessage() async throws {
        try await ClusterFixture.with(nodes: 2) { cluster in
            let (target, caller) = try await Self.placePair(cluster)
            let node = try cluster.node(caller.owner)
            let failed = try await TestHTTPClient.request("POST", port: node.port, path: "/parties/tally/\(caller.name)/fail/\(target.name)?message=not%20today")
            #expect(failed.status == 502)
            let body = try JSONDecoder().decode([String: String].self, from: Data(failed.body))
            #expect(body["reason"] == "failed")
            #expect(body["errorType"] == "TallyError")
            #expect(body["message"] == "refused: not today")
            #expect(try await cluster.metric("partyserver_cluster_forwarded_calls_total") == 1)
            #expect(try await cluster.metric("partyserver_room_call_failures_total{reason=\"failed\"}") == 1)
        }
    }

    @Test func theCallEndpointAnswersOnlyTheNodesSecretAndIsAbsentOtherwise() async throws {
        try await ClusterFixture.with(nodes: 2) { cluster in
            let node = cluster.nodes[0]
            let call = RoomCall(
                target: RoomKey(server: "tally", name: "by-secret"), chain: [RoomKey(server: "tally", name: "outside")],
                deadline: Date().addingTimeInterval(10), payload: .typed(ByteBuffer(string: #"{"add":{"_0":3}}"#))
            )
            let envelope = Array(try JSONEncoder().encode(ClusterCallEnvelope(call)))
            let secret = try #require(try await cluster.database.query("SELECT secret FROM party_cluster_secret").first?.decode(String.self))
            #expect(secret.count == 64)
            let absent = try await TestHTTPClient.request("POST", port: node.port, path: "/_partycluster/nothing", body: envelope)
            let missing = try await TestHTTPClient.request("POST", port: node.port, path: "/_partycluster/call", body: envelope)
            let wrong = try await TestHTTPClient.request(
                "POST", port: node.port, path: "/_partycluster/call", headers: [("x-partyserver-cluster-secret", String(repeating: "0", count: 64))], body: envelope
            )
            let get = try await TestHTTPClient.request("GET", port: node.port, path: "/_partycluster/call", headers: [("x-partyserver-cluster-secret", secret)])
            for refused in [missing, wrong, get] {
                #expect(refused.status == 404)
                #expect(refused.text == absent.text)
            }
            #expect(try await cluster.token("tally", "by-secret") == nil, "no room was started for a refused call")
            let accepted = try await TestHTTPClient.request(
                "POST", port: node.port, path: "/_partycluster/call", headers: [("x-partyserver-cluster-secret", secret)], body: envelope
            )
            #expect(accepted.status == 200)
            let reply = try JSONDecoder().decode(ClusterCallReplyEnvelope.self, from: Data(accepted.body))
            #expect(reply.typed.map { String(decoding: $0, as: UTF8.self) } == "3")
            #expect(try await TestHTTPClient.get(url: "\(cluster.nodes[1].http)/parties/tally/by-secret").text == #"{"total":3}"#)
        }
    }

    /// What happens to calls to a room whose owner is killed: while its lease runs, the calling
    /// node still finds the dead owner in the database and the call fails as `unreachable`
    /// (nothing is stored); once the lease expired, a live node takes the room and the call
    /// succeeds on the stored total.
    @Test func aCallToARoomWhoseOwnerWasKilledIsUnreachableUntilTheLeaseMoves() async throws {
        try await ClusterFixture.with(nodes: 3) { cluster in
            let (target, caller) = try await Self.placePair(cluster)
            let node = try cluster.node(caller.owner)
            let path = "/parties/tally/\(caller.name)/call/\(target.name)?amount=2"
            #expect(try await TestHTTPClient.request("POST", port: node.port, path: path).text == #"{"total":2}"#)
            try cluster.signal(target.owner, SIGKILL)
            let killed = ContinuousClock.now
            var failures: [String] = []
            let total = try await eventually("the call succeeds on a live node", timeout: .seconds(cluster.leaseSeconds * 4 + 10)) {
                let answer = try await TestHTTPClient.request("POST", port: node.port, path: path, timeout: .seconds(10))
                if answer.status == 200 { return .done(answer.text) }
                let body = try JSONDecoder().decode([String: String].self, from: Data(answer.body))
                failures.append(body["reason"] ?? "?")
                return .pending("\(answer.status) \(answer.text)")
            }
            #expect(total == #"{"total":4}"#, "every failed call stored nothing")
            #expect(failures.allSatisfy { $0 == "unreachable" }, "failures: \(failures)")
            let moved = try #require(try await cluster.lease("tally", target.name))
            #expect(moved.node != target.owner)
            #expect(moved.token == 2)
            print("room call after kill -9 of the callee's owner: \(failures.count) unreachable, then a success after \(ContinuousClock.now - killed)")
        }
    }

    /// A tally room (`target`) and a second one (`caller`) owned by another node, each started by
    /// a GET; names are tried until placement puts them on different nodes.
    static func placePair(_ cluster: ClusterFixture) async throws -> (target: (name: String, owner: String), caller: (name: String, owner: String)) {
        let target = try await place(cluster, "target", avoiding: nil)
        let caller = try await place(cluster, "caller", avoiding: target.owner)
        return (target, caller)
    }

    /// Starts tally rooms `prefix-0`, `prefix-1`… until one is owned by a node other than `avoiding`.
    static func place(_ cluster: ClusterFixture, _ prefix: String, avoiding: String?) async throws -> (name: String, owner: String) {
        let entries = cluster.nodes.filter { $0.id != avoiding }
        for attempt in 0..<30 {
            let name = "\(prefix)-\(attempt)"
            let entry = entries[attempt % entries.count]
            #expect(try await TestHTTPClient.get(url: "\(entry.http)/parties/tally/\(name)").text == #"{"total":0}"#)
            let owner = try #require(try await cluster.lease("tally", name)).node
            if owner != avoiding { return (name, owner) }
        }
        throw AbortWaiting(reason: "30 tally rooms were all placed on \(avoiding ?? "?")")
    }
}
#endif
