import Foundation
@testable import PartyRuntime
@testable import PartyServer
import PartyServerTesting
import Testing

/// Keep-alive pings and idle timeouts, on a manual connection clock: every test moves time one
/// sweeper pass at a time and never sleeps.
@Suite("Keep-alive and idle timeouts")
struct KeepAliveTests {
    /// Pings after 30 s of quiet, dead 10 s later; no idle timeout unless a test sets one.
    static func configuration(_ connectionClock: ManualClock, roomClock: ManualClock = ManualClock()) -> PartyConfiguration {
        var configuration = PartyConfiguration(clock: roomClock, connectionClock: connectionClock)
        configuration.limits.idleTimeout = nil
        return configuration
    }

    @Test("a peer that stops answering is pinged, then closed after the pong timeout; onClose sees 1006, not clean")
    func vanishedPeer() async throws {
        let clock = ManualClock()
        try await withLimitServer(configuration: Self.configuration(clock)) { server in
            let room = uniqueRoom()
            let start = clock.now
            let ghost = try await SilentPeer.connect(port: server.port, path: "/parties/probe/\(room)?_pk=ghost")
            try await waitUntil("onConnect ran") { Recorder.shared.count(room, "connect ghost") == 1 }

            try await server.sweep(clock, until: "the ghost was pinged") { ghost.pings == 1 }
            #expect(clock.now.timeIntervalSince(start) >= 30)
            try await server.sweep(clock, until: "the ghost was closed") { ghost.isClosed }
            let silence = clock.now.timeIntervalSince(start)
            #expect(silence >= 40)
            #expect(silence <= 30 + 10 + 3 * 2.5)
            try await waitUntil("onClose ran") {
                Recorder.shared.events(room).contains("close ghost 1006 no answer to a ping within 10 s false")
            }
            #expect(ghost.pings == 1)
            try await server.waitForNoConnections()
        }
    }

    @Test("a peer that answers pings stays open across many ping intervals")
    func healthyPeer() async throws {
        let clock = ManualClock()
        try await withLimitServer(configuration: Self.configuration(clock)) { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=alive")
            #expect(try await socket.nextText() == "welcome:alive")
            let start = clock.now
            var pings = 0
            while clock.now.timeIntervalSince(start) < 300 {
                // Time moves on only once the server has read the pong.
                if try await server.sweep(clock, answeredBy: socket) { pings += 1 }
            }
            #expect(pings >= 8)
            #expect(socket.isConnected)
            try await socket.send(text: "echo:still here")
            #expect(try await socket.nextText() == "still here")
            #expect(!Recorder.shared.events(room).contains { $0.hasPrefix("close") })
        }
    }

    @Test("a peer whose room hook is slow is not taken for dead, even with its frames backed up")
    func slowHook() async throws {
        let clock = ManualClock()
        try await withLimitServer(configuration: Self.configuration(clock)) { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/slow-room/\(room)?_pk=patient")
            try await socket.send(text: "block")
            try await waitUntil("the hook is blocked") { Recorder.shared.count(room, "message patient block") == 1 }
            // The pongs are read while the hook holds the connection's read loop.
            var pings = 0
            var start = clock.now
            while clock.now.timeIntervalSince(start) < 200 {
                if try await server.sweep(clock, answeredBy: socket) { pings += 1 }
            }
            #expect(pings >= 5)
            // Far more frames than the room's inbound buffer holds: the server stops reading, and
            // the peer's silence is then not the peer's fault.
            for index in 0..<50 { try await socket.send(text: "queued \(index)") }
            try await waitUntil("the server holds reads back") { try server.liveness.readPausedCount == 1 }
            start = clock.now
            while clock.now.timeIntervalSince(start) < 200 {
                try await server.sweep(clock)
                #expect(try server.liveness.lastPassPings == 0)
            }
            #expect(socket.isConnected)
            #expect(!Recorder.shared.events(room).contains { $0.hasPrefix("close") })

            await SlowRoom.gate(room).open()
            #expect(try await socket.nextText() == "done:block")
            for index in 0..<50 { #expect(try await socket.nextText() == "done:queued \(index)") }
            // And when it has gone quiet afterwards, it is pinged and answers.
            let quiet = clock.now
            var pinged = false
            for _ in 0..<40 where !pinged {
                pinged = try await server.sweep(clock, answeredBy: socket)
            }
            #expect(pinged)
            #expect(clock.now.timeIntervalSince(quiet) >= 30)
            #expect(socket.isConnected)
        }
    }

    @Test("the connections of a hibernated room are pinged without waking it, and a dead one is still closed")
    func hibernatedRoom() async throws {
        let clock = ManualClock()
        let roomClock = ManualClock()
        try await withLimitServer(configuration: Self.configuration(clock, roomClock: roomClock)) { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/sleepy-room/\(room)?_pk=alive")
            let ghost = try await SilentPeer.connect(port: server.port, path: "/parties/sleepy-room/\(room)?_pk=ghost")
            try await socket.send(text: "hello")
            #expect(try await socket.nextText() == "awake:hello")
            try await advance(roomClock, by: .seconds(2), until: "the room hibernated") {
                server.application.roomState(server: "sleepy-room", name: room) == .hibernated
            }
            let inits = Recorder.shared.count(room, "init")

            // Each pass's pings reach the socket or the ghost; time moves on once they arrived and
            // the socket's pong was read.
            var socketPings = 0
            var ghostPings = 0
            var checkedAsleep = false
            for _ in 0..<100 where !ghost.isClosed {
                try await server.sweep(clock)
                let sent = try server.liveness.lastPassPings
                guard sent > 0 else { continue }
                var socketPinged = false
                try await waitUntil("\(sent) pings arrived") {
                    if socket.drainEvents().contains(where: \.isPing) { socketPinged = true }
                    return (socketPinged ? 1 : 0) + ghost.pings - ghostPings == sent
                }
                ghostPings = ghost.pings
                if socketPinged {
                    socketPings += 1
                    try await server.waitForSignsOfLife()
                }
                if socketPings >= 1, ghostPings >= 1, !checkedAsleep {
                    checkedAsleep = true
                    #expect(server.application.roomState(server: "sleepy-room", name: room) == .hibernated)
                    #expect(Recorder.shared.count(room, "init") == inits)
                }
            }
            #expect(checkedAsleep)
            #expect(ghost.isClosed)
            // onClose wakes the room, as for any close.
            try await waitUntil("onClose ran") {
                Recorder.shared.events(room).contains("close ghost 1006 no answer to a ping within 10 s false")
            }
            #expect(socket.isConnected)
        }
    }

    @Test("a WebSocket with no frame for idleTimeout is closed (keep-alive off); one that talks stays")
    func idleWebSocket() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration(connectionClock: clock)
        configuration.keepAlive = nil
        configuration.limits.idleTimeout = .seconds(20)
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let idle = try await server.webSocket("/parties/probe/\(room)?_pk=idle")
            let talker = try await server.webSocket("/parties/probe/\(room)?_pk=talker")
            _ = try await idle.nextText()
            _ = try await talker.nextText()
            let start = clock.now
            try await server.sweep(clock, until: "the idle socket was closed") {
                try await talker.send(text: "echo:tick")
                #expect(try await talker.nextText() == "tick")
                return !idle.isConnected
            }
            #expect(clock.now.timeIntervalSince(start) >= 20)
            try await waitUntil("onClose ran") { Recorder.shared.events(room).contains("close idle 1006 no frame for 20 s false") }
            #expect(talker.isConnected)
            #expect(idle.drainEvents().allSatisfy { if case .ping = $0 { false } else { true } })
        }
    }

    @Test("an HTTP connection without a complete request for idleTimeout is closed (slowloris), a prompt one is answered")
    func slowloris() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration(connectionClock: clock)
        configuration.limits.idleTimeout = .seconds(20)
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let slow = try await RawConnection.connect(port: server.port)
            try await slow.write("GET /parties/probe/\(room) HTTP/1.1\r\nHost: x\r\n")
            let start = clock.now
            var keptAlive: RawConnection?
            try await server.sweep(clock, until: "the slow connection was closed") {
                if keptAlive == nil, clock.now.timeIntervalSince(start) >= 10 {
                    // Still open half-way; and a connection that sends its request is answered.
                    #expect(!slow.isClosed)
                    try await slow.write("x-trickle: 1\r\n")
                    let prompt = try await RawConnection.connect(port: server.port)
                    try await prompt.write("GET /parties/probe/\(room) HTTP/1.1\r\nHost: x\r\n\r\n")
                    try await waitUntil("answered") { prompt.text.contains("\"name\":\"\(room)\"") }
                    keptAlive = prompt
                }
                return slow.isClosed
            }
            #expect(clock.now.timeIntervalSince(start) >= 20)
            #expect(slow.text.isEmpty)
            #expect(Recorder.shared.count(room, "beforeRequest") == 1)
            // The answered keep-alive connection is closed once idle for the timeout too.
            let prompt = try #require(keptAlive)
            try await server.sweep(clock, until: "the idle keep-alive connection was closed") { prompt.isClosed }
            try await server.waitForNoConnections()
        }
    }

    @Test("the sweeper stops with the server, and keep-alive off with no idle timeout runs no sweeper")
    func sweeperLifecycle() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration(connectionClock: clock)
        configuration.keepAlive = nil
        configuration.limits.idleTimeout = nil
        try await withLimitServer(configuration: configuration) { server in
            #expect(try server.liveness.isEnabled == false)
            let socket = try await server.webSocket("/parties/probe/\(uniqueRoom())")
            #expect(try server.liveness.watchedCount == 0)
            socket.disconnect()
        }
        let running = try await PartyTestServer.start(configuration: Self.configuration(clock)) { try $0.register(Probe.self) }
        try await waitUntil("the sweeper sleeps on the clock") { clock.sleepers == 1 }
        try await running.shutdown()
        #expect(clock.sleepers == 0)
    }

    @Test("a sweep of 10,000 connections", .tags(.measurement))
    func sweepCost() async throws {
        var configuration = Self.configuration(ManualClock())
        configuration.keepAlive = nil
        configuration.limits.idleTimeout = .seconds(3600)
        try await withLimitServer(configuration: configuration) { server in
            // One real server-side WebSocket stands in for all 10,000: what is measured is the
            // pass itself (and, for pings, handing each write to the event loop).
            let peer = try await SilentPeer.connect(port: server.port, path: "/parties/probe/\(uniqueRoom())")
            let channel = try #require(try server.liveness.watchedChannels.first)
            let clock = ManualClock()
            let sweeper = LivenessSweeper(keepAlive: KeepAlive(), idleTimeout: .seconds(60), clock: clock, logger: .init(label: "sweep"))
            let activities = (0..<10_000).map { _ in sweeper.watch(channel) }
            for activity in activities { activity.phase = .webSocket }
            #expect(sweeper.watchedCount == 10_000)

            func measure(_ prepare: () -> Void) -> Duration {
                prepare()
                return ContinuousClock().measure { sweeper.sweep() }
            }
            let active = measure { for activity in activities { activity.markActive() } }
            let quiet = measure { clock.advance(by: .seconds(5)) }
            let pinging = measure { clock.advance(by: .seconds(30)) }
            print("sweep of 10,000 connections: all active \(active), all quiet \(quiet), all due a ping \(pinging)")
            #expect(active < .milliseconds(500))
            #expect(quiet < .milliseconds(500))
            try await waitUntil("the pings reached the peer") { peer.pings == 10_000 }
        }
    }
}

extension Tag {
    /// Tests that print a measurement.
    @Tag static var measurement: Self
}
