import Foundation
import PartyClient
import PartyServerTesting
import Testing

/// Two sockets in a chat room survive a server restart on the same port: they reconnect with
/// their ids, and what they sent while the server was down arrives once each, in order.
@Suite struct PartySocketRestartTests {
    /// Waits until `running` waits for its next attempt, then moves `clock` to the end of the wait.
    private func skipWait(_ running: RunningSocket, _ clock: ManualClock) async throws {
        try await eventually("\(running.socket.id) waits to reconnect", timeout: .seconds(10), interval: .milliseconds(2)) { () -> PollResult<Void> in
            let deadlines = clock.sleeperDeadlines
            guard running.socket.state == .disconnected, deadlines.count == 1 else {
                return .pending("state \(running.socket.state), sleepers \(deadlines)")
            }
            clock.advance(to: deadlines[0])
            return .done(())
        }
    }

    /// Advances `clock` through the socket's waits (never during an attempt) until it opened `opens` times.
    private func driveUntilOpen(_ running: RunningSocket, _ clock: ManualClock, opens: Int) async throws {
        try await eventually("\(running.socket.id) opened \(opens) times", timeout: .seconds(20), interval: .milliseconds(2)) { () -> PollResult<Void> in
            if running.opens >= opens { return .done(()) }
            let deadlines = clock.sleeperDeadlines
            if running.socket.state == .disconnected, deadlines.count == 1 { clock.advance(to: deadlines[0]) }
            return .pending("state \(running.socket.state), events \(running.events.suffix(3))")
        }
    }

    /// The number of failed attempts `running` reported.
    private func failures(_ running: RunningSocket) -> Int {
        running.count { if case .error(let error) = $0 { error.code == .connectionFailed } else { false } }
    }

    @Test func reconnectAcrossAServerRestart() async throws {
        let room = uniqueRoom("restart")
        let first = try await startClientTestServer()
        let port = first.port
        // One clock per socket: each reconnects only when the test moves its clock.
        let aliceClock = ManualClock()
        let bobClock = ManualClock()
        func options(_ id: String, _ clock: ManualClock) -> PartySocketOptions {
            var options = socketOptions(port: port, party: "greeter", room: room, id: id)
            options.clock = clock
            options.random = { 0 }
            return options
        }
        let alice = try RunningSocket.start(options("alice", aliceClock))
        let bob = try RunningSocket.start(options("bob", bobClock))
        defer {
            alice.socket.close()
            bob.socket.close()
        }
        try await waitUntil("both welcomed") { alice.texts.count == 1 && bob.texts.count == 1 }
        #expect(alice.texts == ["welcome alice auth=- token=-"])
        #expect(bob.texts == ["welcome bob auth=- token=-"])
        alice.socket.send("before")
        try await waitUntil("bob got alice's first message") { bob.texts.last == "before" }

        // Graceful shutdown: both get 1001 and start waiting to reconnect.
        try await first.shutdown()
        for running in [alice, bob] {
            try await waitUntil("\(running.socket.id) saw the 1001") {
                running.count { if case .close(1001, _, true) = $0 { true } else { false } } == 1
            }
        }
        for index in 1...5 {
            #expect(alice.socket.send("a\(index)") == .queued)
            #expect(bob.socket.send("b\(index)") == .queued)
        }
        // Two attempts each fail while nothing listens on the port.
        for _ in 0..<2 {
            try await skipWait(alice, aliceClock)
            try await skipWait(bob, bobClock)
        }
        try await waitUntil("two failed attempts each") { failures(alice) == 2 && failures(bob) == 2 }
        #expect(alice.socket.queuedMessageCount == 5)
        #expect(bob.socket.queuedMessageCount == 5)

        let second = try await startClientTestServer(port: port)
        do {
            #expect(second.port == port)
            // Bob first: his queue reaches the room while alice is still away.
            try await driveUntilOpen(bob, bobClock, opens: 2)
            try await waitUntil("bob welcomed again") { bob.texts.count == 3 }
            #expect(bob.texts.last == "welcome bob auth=- token=-")
            try await waitUntil("bob's queue reached the room") { Recorder.shared.events(room).contains("bob:b5") }

            // Then alice: her queue is flushed before her open event, and relayed to bob.
            try await driveUntilOpen(alice, aliceClock, opens: 2)
            try await waitUntil("bob got alice's queue") { bob.texts.count == 8 }
            #expect(Array(bob.texts.suffix(5)) == ["a1", "a2", "a3", "a4", "a5"])
            #expect(alice.texts == ["welcome alice auth=- token=-", "welcome alice auth=- token=-"])

            alice.socket.send("end")
            try await waitUntil("bob got the last message") { bob.texts.last == "end" }
            #expect(bob.texts == ["welcome bob auth=- token=-", "before", "welcome bob auth=- token=-", "a1", "a2", "a3", "a4", "a5", "end"])
            let received = Recorder.shared.events(room).filter { $0.contains(":") }
            #expect(received.filter { $0.hasPrefix("alice:") } == ["alice:before", "alice:a1", "alice:a2", "alice:a3", "alice:a4", "alice:a5", "alice:end"])
            #expect(received.filter { $0.hasPrefix("bob:") } == ["bob:b1", "bob:b2", "bob:b3", "bob:b4", "bob:b5"])
            #expect(Recorder.shared.count(room, "connect alice") == 2)
            #expect(Recorder.shared.count(room, "connect bob") == 2)

            try await alice.close()
            try await bob.close()
            try await second.shutdown()
        } catch {
            try? await second.shutdown()
            throw error
        }
    }
}
