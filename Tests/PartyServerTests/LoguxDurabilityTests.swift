import Foundation
import PartyServer
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc
#endif

/// The Logux log across hibernation and restarts of the real `partyserver` binary.
@Suite("Logux durability")
struct LoguxDurabilityTests {
    static let increment = #"{"type":"counter/increment"}"#
    static let subscribe = #"{"type":"logux/subscribe","channel":"counter"}"#

    @Test("sessions and subscriptions outlive hibernation: actions keep flowing, and an absent node gets what it missed")
    func hibernation() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = uniqueRoom("lx")
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let path = "/parties/logux/\(name)"
            let alice = try await LoguxClient.connect(port: server.port, path: path, node: "alice:1:a")
            var bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b")
            try await bob.sync([Self.subscribe], added: 1, sequence: 0)
            #expect(try await bob.receive(2).map(\.type) == ["counter/set", "logux/processed"])
            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("logux", name) == .hibernated }
            let first = try await alice.add(Self.increment, added: 1, sequence: 0)
            let toBob = try await bob.receive(1)
            #expect(toBob.map(\.id) == [first])
            let synced = toBob[0].added
            #expect(try await alice.receive(1).map { $0.action["id"]?.stringValue } == [first])
            try await bob.close()
            var ids: [String] = []
            for index in 1...3 { ids.append(try await alice.add(Self.increment, added: index + 1, sequence: index)) }
            _ = try await alice.receive(3)
            try await advance(clock, by: .seconds(11), until: "the room hibernated again") { server.state("logux", name) == .hibernated }
            bob = try await LoguxClient.connect(port: server.port, path: path, node: "bob:1:b", synced: synced)
            #expect(try await bob.receive(3).map(\.id) == ids)
            try await bob.close()
            try await alice.close()
        }
    }

    @Test("a subscriber away across a restart gets every action it missed once: SIGTERM and kill -9", arguments: [SIGTERM, SIGKILL])
    func restart(signal: Int32) async throws {
        #expect(FileManager.default.isExecutableFile(atPath: partyserverExecutable), "build it with `swift build --build-tests`")
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "/parties/logux/\(uniqueRoom("lx"))"
        var (process, port) = try await startPartyServerProcess(["--data-dir", directory])
        var ids: [String] = []
        var bobSynced = 0
        do {
            let bob = try await LoguxClient.connect(port: port, path: path, node: "bob:1:b")
            try await bob.sync([Self.subscribe], added: 1, sequence: 0)
            bobSynced = try await bob.receive(2).map(\.added).max() ?? 0
            try await bob.close()
            let alice = try await LoguxClient.connect(port: port, path: path, node: "alice:1:a")
            // Each `synced` answer comes once the action is durable.
            for index in 0..<50 { ids.append(try await alice.add(Self.increment, added: index + 1, sequence: index)) }
            try await stop(process, with: signal)
            (process, port) = try await startPartyServerProcess(["--data-dir", directory])
            let returning = try await LoguxClient.connect(port: port, path: path, node: "alice:1:a")
            for index in 50..<100 { ids.append(try await returning.add(Self.increment, added: index + 1, sequence: index)) }
            try await returning.close()
            let back = try await LoguxClient.connect(port: port, path: path, node: "bob:1:b", synced: bobSynced)
            let missed = try await back.receive(100)
            #expect(missed.map(\.id) == ids)
            try await back.socket.send(text: #"["ping",0]"#)
            #expect(try await back.next().first?.stringValue == "pong", "nothing more is on its way")
            try await back.close()
            let probe = try await LoguxClient.connect(port: port, path: path, node: "carol:1:c")
            try await probe.sync([Self.subscribe], added: 1, sequence: 0)
            let state = try await probe.receive(2)
            #expect(state.first { $0.type == "counter/set" }?.action["value"]?.intValue == 100)
            try await probe.close()
            try await stop(process, with: SIGTERM)
        } catch {
            process.signalGroup(SIGKILL)
            process.reap()
            throw error
        }
    }
}
