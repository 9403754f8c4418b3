import Foundation
import PartyServer
import PartyServerTesting
import Testing

extension RoomCallTests {
    @Test("a room's HTTP request calls another room over a live server on 127.0.0.1, and /metrics counts the calls")
    func callFromHTTPRequest() async throws {
        try await PartyTestServer.withServer({ app in
            try app.register(Ledger.self)
            try app.register(FrontDesk.self)
        }) { server in
            let ledger = uniqueRoom("ledger")
            let first = try await server.request("POST", "/parties/front-desk/desk?ledger=\(ledger)", body: "4")
            #expect(first.status == 200)
            #expect(
                first.text
                    == #"{"body":"4","caller":"front-desk\/desk","header":"desk","method":"POST","path":"\/echo"}"#
                    + " total=4 caller=front-desk/desk"
            )
            let second = try await server.request("POST", "/parties/front-desk/other?ledger=\(ledger)", body: "3")
            #expect(second.text.hasSuffix(" total=7 caller=front-desk/other"))
            #expect(Recorder.shared.count(ledger, "start") == 1)

            let failing = try await server.request("POST", "/parties/front-desk/desk?ledger=a%2Fb", body: "1")
            #expect(failing.status == 500, "a room call error thrown from onRequest answers like any thrown error")

            let metrics = try await server.request("GET", "/metrics").text
            #expect(MetricsTests.value("partyserver_room_calls_total", in: metrics) == 5)
            #expect(MetricsTests.value(#"partyserver_room_call_failures_total{reason="unreachable"}"#, in: metrics) == 1)
        }
    }
}
