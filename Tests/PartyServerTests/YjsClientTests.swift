import Foundation
import PartyServer
import PartyServerTesting
import PartyYjs
import Testing

#if os(Linux)
import Glibc

/// `YServer` rooms with the real clients people use: Yjs' `WebsocketProvider` on Node (Debian's
/// node-yjs and node-y-websocket) and pycrdt's provider on Python (PyPI), editing together.
@Suite("Yjs with real clients")
struct YjsClientTests {
    /// Fails with the install hint unless both clients can run.
    func requireClients() async throws {
        for kind in [YjsClient.Kind.node, .python] where !(await YjsClient.available(kind)) {
            Issue.record("the \(kind.rawValue) Yjs client cannot run: \(YjsClient.installHint)")
            throw CancellationError()
        }
    }

    @Test("a Node and a Python client insert concurrently and converge; a client joining later gets the whole text")
    func concurrentEditing() async throws {
        try await requireClients()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { server in
            let room = uniqueRoom("yc")
            let shared = ["--awareness", #"{"user":"writer"}"#, "--wait-peers", "1", "--random-positions", "--delay-ms", "5", "--expect-length", "48"]
            let node = try YjsClient.start(.node, port: server.port, room: room, arguments: shared + ["--seed", "1"] + ["AAAA", "BBBB", "CCCC", "DDDD", "EEEE", "FFFF"].flatMap { ["--insert", $0] })
            let python = try YjsClient.start(.python, port: server.port, room: room, arguments: shared + ["--seed", "2"] + ["aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff"].flatMap { ["--insert", $0] })
            let fromNode = try await node.finish()
            let fromPython = try await python.finish()
            let text = try #require(fromNode["text"]?.stringValue)
            #expect(text.count == 48)
            #expect(fromPython["text"]?.stringValue == text)
            let late = try YjsClient.start(.node, port: server.port, room: room, arguments: ["--expect-length", "48"])
            #expect(try await late.finish()["text"]?.stringValue == text)
        }
    }

    @Test("the document survives hibernation: a client connected throughout gets a later client's edit")
    func hibernation() async throws {
        try await requireClients()
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let room = uniqueRoom("yh")
            // Steps run in a fixed order: sync, inserts, then the waits.
            let first = try YjsClient.start(.python, port: server.port, room: room, arguments: ["--insert", "sleep ", "--expect-text", "sleep wake", "--timeout", "40"])
            try await first.waitForEvent("inserted")
            try await YjsClient.start(.node, port: server.port, room: room, arguments: ["--expect-text", "sleep "]).finish()
            try await advance(clock, by: .seconds(11), until: "the room hibernated") { server.state("yjs", room) == .hibernated }
            let second = try YjsClient.start(.node, port: server.port, room: room, arguments: ["--insert", "wake", "--expect-text", "sleep wake", "--confirm"])
            #expect(try await second.finish()["text"]?.stringValue == "sleep wake")
            #expect(try await first.finish()["text"]?.stringValue == "sleep wake")
        }
    }

    @Test("the document survives SIGTERM and kill -9 of the partyserver process")
    func restarts() async throws {
        try await requireClients()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("yr")
        var (process, port) = try await startPartyServerProcess(["--data-dir", directory])
        do {
            let writer = try YjsClient.start(.node, port: port, room: room, arguments: ["--insert", "before SIGTERM", "--map-set", "step=1", "--confirm"])
            try await writer.finish()
            try await stop(process, with: SIGTERM)
            (process, port) = try await startPartyServerProcess(["--data-dir", directory])
            let second = try YjsClient.start(.python, port: port, room: room, arguments: ["--insert", ", before kill", "--map-set", "step=2", "--expect-text", "before SIGTERM, before kill", "--confirm"])
            try await second.finish()
            try await stop(process, with: SIGKILL)
            (process, port) = try await startPartyServerProcess(["--data-dir", directory])
            let reader = try YjsClient.start(.node, port: port, room: room, arguments: ["--expect-text", "before SIGTERM, before kill"])
            let result = try await reader.finish()
            #expect(result["map"]?["step"]?.intValue == 2)
            try await stop(process, with: SIGTERM)
        } catch {
            process.signalGroup(SIGKILL)
            process.reap()
            throw error
        }
    }

    @Test("compaction keeps the content: many small edits, compacted on the way, read back after a restart")
    func compactionKeepsContent() async throws {
        try await requireClients()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("yk")
        let words = (0..<40).map { "w\($0) " }
        let expected = words.joined()
        try await withDurableServer(dataDirectory: directory) { server in
            // `ynotes` compacts every 5 updates.
            let writer = try YjsClient.start(.node, port: server.port, room: room, party: "ynotes", arguments: ["--confirm"] + words.flatMap { ["--insert", $0] })
            #expect(try await writer.finish()["text"]?.stringValue == expected)
        }
        let keys = try YjsDurabilityTests().storedKeys(directory, server: "ynotes", room: room)
        #expect(keys.contains("yjs/doc/000000"))
        #expect(keys.filter { $0.hasPrefix("yjs/u/") }.count <= 5, "\(keys)")
        try await withDurableServer(dataDirectory: directory) { server in
            let reader = try YjsClient.start(.python, port: server.port, room: room, party: "ynotes", arguments: ["--expect-text", expected])
            try await reader.finish()
        }
    }

    @Test("awareness appears at the other client and disappears when its client is killed")
    func awareness() async throws {
        try await requireClients()
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let room = uniqueRoom("ya")
            let watcher = try YjsClient.start(.python, port: server.port, room: room, arguments: [
                "--awareness", #"{"user":"python"}"#, "--watch-awareness", "--expect-peers", "1", "--then-expect-peers", "0", "--timeout", "40",
            ])
            try await watcher.waitForEvent("synced")
            let holder = try YjsClient.start(.node, port: server.port, room: room, arguments: ["--awareness", #"{"user":"node"}"#, "--hold"])
            try await watcher.waitForEvent("awareness") { event in
                event["states"]?.jsonText.contains(#""user":"node""#) == true
            }
            holder.kill()
            try await watcher.finish(timeout: .seconds(40))
            #expect(watcher.events.contains { $0["event"]?.stringValue == "peers-remaining" })
        }
    }

    @Test("a malformed update is refused with 1007 while the other clients keep editing")
    func malformedUpdate() async throws {
        try await requireClients()
        try await withDurableServer(dataDirectory: temporaryDataDirectory()) { server in
            let room = uniqueRoom("ym")
            let editor = try YjsClient.start(.python, port: server.port, room: room, arguments: ["--insert", "good ", "--expect-text", "good still good", "--timeout", "40"])
            try await editor.waitForEvent("inserted")
            try await YjsClient.start(.node, port: server.port, room: room, arguments: ["--expect-text", "good "]).finish()
            // Sync update carrying a struct with content kind 15.
            let mallory = try YjsClient.start(.node, port: server.port, room: room, arguments: ["--send-raw", "000207010105000f0101"])
            #expect(try await mallory.finish()["closedCode"]?.intValue == 1007)
            let other = try YjsClient.start(.node, port: server.port, room: room, arguments: ["--insert", "still good", "--confirm"])
            try await other.finish()
            #expect(try await editor.finish()["text"]?.stringValue == "good still good")
        }
    }
}
#endif
