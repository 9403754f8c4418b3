import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Metrics")
struct MetricsTests {
    /// The value of the sample `name` (with its labels) in a Prometheus text exposition.
    static func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test("GET /metrics reports rooms live and hibernated per server type, connections, messages, hibernations, wakes, alarms and storage commits")
    func prometheusText() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("metrics")
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "put:k=v")
            #expect(try await socket.nextText() == "stored")
            try await socket.send(text: "alarm-in:0")
            #expect(try await socket.nextText() == "alarm-set")
            #expect(try await socket.nextText() == "alarm:0:\(name):v")

            var text = try await server.request("GET", "/metrics").text
            #expect(Self.value(#"partyserver_rooms_live{server="notebook"}"#, in: text) == 1)
            #expect(Self.value("partyserver_connections", in: text) == 1)
            #expect(Self.value("partyserver_messages_in_total", in: text) == 2)
            #expect(Self.value("partyserver_messages_out_total", in: text) == 3)
            #expect(Self.value("partyserver_alarms_fired_total", in: text) == 1)
            #expect(Self.value("partyserver_alarms_retried_total", in: text) == 0)
            #expect((Self.value("partyserver_storage_commits_total", in: text) ?? 0) >= 1)
            #expect((Self.value("partyserver_storage_commit_seconds_count", in: text) ?? 0) >= 1)

            try await advance(clock, by: .seconds(11), until: "hibernated") { server.state("notebook", name) == .hibernated }
            text = try await server.request("GET", "/metrics").text
            #expect(Self.value(#"partyserver_rooms_live{server="notebook"}"#, in: text) == 0)
            #expect(Self.value(#"partyserver_rooms_hibernated{server="notebook"}"#, in: text) == 1)
            #expect(Self.value(#"partyserver_hibernations_total{server="notebook"}"#, in: text) == 1)

            try await socket.send(text: "add:x")
            #expect(try await socket.nextText() == "notes:x")
            text = try await server.request("GET", "/metrics").text
            #expect(Self.value(#"partyserver_wakes_total{server="notebook"}"#, in: text) == 1)
            #expect(Self.value(#"partyserver_rooms_hibernated{server="notebook"}"#, in: text) == 0)
            #expect(Self.value(#"partyserver_rooms_live{server="notebook"}"#, in: text) == 1)
        }
    }
}
