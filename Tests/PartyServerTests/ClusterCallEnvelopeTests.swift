import Foundation
import HTTPTypes
import NIOCore
@testable import PartyCluster
@testable import PartyRuntime
@testable import PartyServer
import Testing

/// The JSON a room call and its answer take between nodes: every part survives the trip.
@Suite("Cluster call envelopes")
struct ClusterCallEnvelopeTests {
    /// `value` encoded to JSON and decoded back, as between two nodes.
    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
    }

    @Test("every RoomCallError case crosses with its values", arguments: [
        RoomCallError.unreachable("the room moved to n2 while the call was on its way; try again"),
        .timeout(.milliseconds(1500)),
        .timeout(Duration(secondsComponent: 3, attosecondsComponent: 7)),
        .failed(errorType: "TallyError", message: "refused: \"no\" — ünïcode"),
        .cycle(["tally/a", "tally/b", "tally/a"]),
        .undecodable("the reply could not be decoded as Int"),
        .cancelled,
    ])
    func errorCase(_ error: RoomCallError) throws {
        let back = try roundTrip(ClusterCallReplyEnvelope(.failure(error))).outcome()
        guard case .failure(let decoded) = back else {
            Issue.record("\(error) came back as a reply")
            return
        }
        #expect(decoded == error)
        #expect(decoded.reason == error.reason)
    }

    @Test("the list of error cases above is complete")
    func everyReasonIsDecoded() throws {
        for reason in ["unreachable", "timeout", "failed", "cycle", "undecodable", "cancelled"] {
            #expect(throws: Never.self) { try ClusterCallReplyEnvelope.error(.init(reason: reason)) }
        }
        #expect(throws: ClusterCallEnvelope.Malformed.self) { try ClusterCallReplyEnvelope.error(.init(reason: "exploded")) }
    }

    @Test("a response keeps its status, reason, repeated headers in order and binary body; a typed reply its bytes")
    func replies() throws {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers.append(HTTPField(name: .setCookie, value: "a=1"))
        headers.append(HTTPField(name: .setCookie, value: "b=2"))
        let response = Response(status: HTTPResponse.Status(code: 418, reasonPhrase: "Teapot"), headers: headers, body: ByteBuffer(bytes: [0, 255, 10, 13]))
        guard case .success(.response(let back)) = try roundTrip(ClusterCallReplyEnvelope(.success(.response(response)))).outcome() else {
            Issue.record("the response did not come back as one")
            return
        }
        #expect(back.status.code == 418)
        #expect(back.status.reasonPhrase == "Teapot")
        #expect(Array(back.headers) == Array(headers))
        #expect(Array(back.body.readableBytesView) == [0, 255, 10, 13])
        guard case .success(.typed(let typed)) = try roundTrip(ClusterCallReplyEnvelope(.success(.typed(ByteBuffer(string: #"{"x":1}"#))))).outcome() else {
            Issue.record("the typed reply did not come back as one")
            return
        }
        #expect(String(buffer: typed) == #"{"x":1}"#)
    }

    @Test("a request call keeps target, chain, deadline to the millisecond and every field of Request")
    func requestCall() throws {
        let auth = try JSONPayload(json: Data(#"{"role":"editor","n":2}"#.utf8))
        var headers: HTTPFields = [.contentType: "text/plain"]
        headers.append(HTTPField(name: HTTPField.Name("X-Twice")!, value: "1"))
        headers.append(HTTPField(name: HTTPField.Name("X-Twice")!, value: "2"))
        let request = Request(
            method: .patch, uri: "/parties/tally/b/x?y=1&y=2", path: "/x", query: [("y", "1"), ("y", "2")], headers: headers,
            body: ByteBuffer(bytes: [1, 2, 3, 0]), user: User(id: "u1", name: "Ann", roles: ["admin"], claims: ["org": "o"]),
            properties: ["via": "test"], auth: auth
        )
        let deadline = Date(timeIntervalSince1970: 1_800_000_000.123)
        let call = RoomCall(
            target: RoomKey(server: "tally", name: "b/ü"), chain: [RoomKey(server: "tally", name: "a"), RoomKey(server: "chat", name: "c")],
            deadline: deadline, payload: .request(request)
        )
        let back = try roundTrip(ClusterCallEnvelope(call)).call()
        #expect(back.target == call.target)
        #expect(back.chain == call.chain)
        #expect(back.deadline.timeIntervalSince1970 == 1_800_000_000.123)
        guard case .request(let sent) = back.payload else {
            Issue.record("the request did not come back as one")
            return
        }
        #expect(sent.method == .patch)
        #expect(sent.uri == request.uri)
        #expect(sent.path == "/x")
        #expect(sent.query.map { "\($0.name)=\($0.value)" } == ["y=1", "y=2"])
        #expect(Array(sent.headers) == Array(headers))
        #expect(Array(sent.body.readableBytesView) == [1, 2, 3, 0])
        #expect(sent.user == request.user)
        #expect(sent.properties == ["via": "test"])
        #expect(sent.auth == auth)
    }

    @Test("a typed call keeps its JSON; an envelope with no payload is refused")
    func typedCall() throws {
        let call = RoomCall(target: RoomKey(server: "tally", name: "b"), chain: [], deadline: Date(), payload: .typed(ByteBuffer(string: #"{"add":{"_0":5}}"#)))
        guard case .typed(let body) = try roundTrip(ClusterCallEnvelope(call)).call().payload else {
            Issue.record("the typed call did not come back as one")
            return
        }
        #expect(String(buffer: body) == #"{"add":{"_0":5}}"#)
        var empty = ClusterCallEnvelope(call)
        empty.typed = nil
        #expect(throws: ClusterCallEnvelope.Malformed.self) { try empty.call() }
    }

    @Test("the cluster secret matches only itself, and never shows in a description")
    func secret() {
        let secret = ClusterSecret(value: String(repeating: "ab", count: 32))
        #expect(secret.matches(String(repeating: "ab", count: 32)))
        #expect(!secret.matches(String(repeating: "ab", count: 31) + "ac"))
        #expect(!secret.matches(String(repeating: "ab", count: 31)))
        #expect(!secret.matches(""))
        #expect(!secret.matches(nil))
        #expect(!"\(secret)".contains("abab"))
    }
}
