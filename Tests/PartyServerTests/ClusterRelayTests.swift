import Foundation
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// A WebSocket relayed by a node that does not own its room keeps the owner's flow control: a
/// client that stops reading through the relay fills the hops, and the owner, not the relaying
/// node, sees a slow client and drops it.
@Suite(.enabled(if: PostgresTestDatabase.enabled), .serialized)
struct ClusterRelayTests {
    @Test func aClientThatStopsReadingThroughARelayIsDroppedByTheOwnerAsTooSlow() async throws {
        try await ClusterFixture.with(nodes: 2) { cluster in
            let sender = try await TestWebSocket.connect(url: "\(cluster.nodes[0].ws)/parties/chat/flood?_pk=sender")
            let owner = try #require(try await cluster.lease("chat", "flood")?.node)
            let ownerNode = try cluster.node(owner)
            let relayNode = try cluster.other(than: owner)
            let reader = try await TestWebSocket.connect(url: "\(ownerNode.ws)/parties/chat/flood?_pk=reader")
            let slow = try await TestWebSocket.connect(url: "\(relayNode.ws)/parties/chat/flood?_pk=slow", receiveBufferSize: 16 * 1024)
            try await waitUntil("the owner counts three connections") { try await Self.connections(on: ownerNode) == 3 }
            slow.pauseReading()
            // Rounds of 200 messages of 4 KiB: the reader keeps up, the slow client's backlog
            // grows through the relay until the owner's queue for it overflows. A relay that
            // buffered instead would let 60 rounds (48 MiB) through without the owner noticing.
            let payload = String(repeating: "x", count: 4096)
            var rounds = 0
            var dropped = false
            while !dropped, rounds < 60 {
                rounds += 1
                for index in 0..<200 { try await sender.send(text: "\(index):\(payload)") }
                for index in 0..<200 {
                    let text = try await reader.nextText(timeout: .seconds(20))
                    #expect(text.hasPrefix("\(index):"), "round \(rounds): message \(index) out of order")
                }
                dropped = try await Self.connections(on: ownerNode) == 2
            }
            #expect(dropped, "the owner still served the slow client after \(rounds) rounds")
            slow.resumeReading()
            let close = try await slow.waitForClose(timeout: .seconds(30))
            // 1008 when the owner's close frame makes it through the backlog, 1012 from the relay
            // when the owner had to drop the connection before it did: closed by the server either way.
            #expect(close.code == 1008 || close.code == 1012, "closed with \(String(describing: close.code)) \(close.reason)")
            try await sender.send(text: "still here")
            #expect(try await reader.nextText() == "still here")
            try await sender.close()
            try await reader.close()
        }
    }

    /// The `partyserver_connections` gauge of `node`.
    static func connections(on node: ClusterFixture.Node) async throws -> Int {
        let text = try await TestHTTPClient.get(url: "\(node.http)/metrics").text
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("partyserver_connections ") })
        return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
    }
}
#endif
