import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Limits")
struct LimitTests {
    @Test("the documented defaults")
    func defaults() {
        let limits = ServerLimits()
        #expect(limits.maxConnections == 50_000)
        #expect(limits.maxConnectionsPerRoom == 10_000)
        #expect(limits.maxLiveRooms == 100_000)
        #expect(limits.maxPendingActivations == 1_000)
        #expect(limits.messageRate == MessageRate(perSecond: 1_000, burst: 2_000))
        #expect(limits.maxHeaderSize == 16 * 1024)
        #expect(limits.idleTimeout == .seconds(60))
        #expect(PartyConfiguration().keepAlive == KeepAlive(pingInterval: .seconds(30), pongTimeout: .seconds(10)))
        #expect(PartyConfiguration().maxRequestBodySize == 1 << 20)
        // maxConnections leaves 1,024 descriptors (or a quarter of a small limit) free.
        #expect(limits.fitted(toOpenFileLimit: 20_000).maxConnections == 18_976)
        #expect(limits.fitted(toOpenFileLimit: 1_000_000).maxConnections == 50_000)
        #expect(limits.fitted(toOpenFileLimit: 256).maxConnections == 192)
        #expect(limits.fitted(toOpenFileLimit: nil).maxConnections == 50_000)
    }

    @Test("a room at maxConnectionsPerRoom refuses the next upgrade with 503 and Retry-After, before onConnect; a place frees when a connection closes")
    func connectionsPerRoom() async throws {
        var configuration = PartyConfiguration()
        configuration.limits.maxConnectionsPerRoom = 2
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let first = try await server.webSocket("/parties/probe/\(room)?_pk=a")
            let second = try await server.webSocket("/parties/probe/\(room)?_pk=b")
            _ = try await first.nextText()
            _ = try await second.nextText()

            let refusal = await upgradeError(server, "/parties/probe/\(room)?_pk=c")
            #expect(refusal?.status == 503)
            #expect(refusal?.headers.first { $0.0.lowercased() == "retry-after" }?.1 == "5")
            #expect(!Recorder.shared.events(room).contains { $0.hasPrefix("connect c") })
            // Another room is not affected.
            let elsewhere = try await server.webSocket("/parties/probe/\(uniqueRoom())")
            elsewhere.disconnect()

            first.disconnect()
            try await waitUntil("a's place was released") { try server.admission.counts.roomConnections[RoomKey(server: "probe", name: room)] == 1 }
            let third = try await server.webSocket("/parties/probe/\(room)?_pk=c")
            #expect(try await third.nextText() == "welcome:c")
            second.disconnect()
            third.disconnect()
            try await server.waitForNoConnections()
        }
    }

    @Test("concurrent upgrades to a full room: exactly maxConnectionsPerRoom succeed and every place is released")
    func concurrentUpgrades() async throws {
        var configuration = PartyConfiguration()
        configuration.limits.maxConnectionsPerRoom = 5
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let results = await withTaskGroup(of: Result<TestWebSocket, any Error>.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            return .success(try await server.webSocket("/parties/probe/\(room)?_pk=p\(index)"))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var results: [Result<TestWebSocket, any Error>] = []
                for await result in group { results.append(result) }
                return results
            }
            let sockets = results.compactMap { try? $0.get() }
            let refusals = results.compactMap { result -> Int? in
                guard case .failure(TestWebSocketError.upgradeRejected(let status, _, _)) = result else { return nil }
                return status
            }
            #expect(sockets.count == 5)
            #expect(refusals == Array(repeating: 503, count: 35))
            #expect(try server.admission.counts.roomConnections[RoomKey(server: "probe", name: room)] == 5)
            for socket in sockets { socket.disconnect() }
            try await server.waitForNoConnections()
        }
    }

    @Test("at maxConnections every new TCP connection gets 503 (upgrade or plain request) without routing; closing one frees a place")
    func totalConnections() async throws {
        var configuration = PartyConfiguration()
        configuration.limits.maxConnections = 2
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let first = try await server.webSocket("/parties/probe/\(room)?_pk=a")
            let second = try await server.webSocket("/parties/probe/\(room)?_pk=b")
            #expect(try server.admission.counts.connections == 2)

            let refusal = await upgradeError(server, "/parties/probe/\(room)?_pk=c")
            #expect(refusal?.status == 503)
            #expect(refusal?.headers.first { $0.0.lowercased() == "retry-after" }?.1 == "5")
            let request = try await server.request("GET", "/parties/probe/\(room)")
            #expect(request.status == 503)
            #expect(request.text.contains("server at capacity (2 connections)"))
            #expect(Recorder.shared.count(room, "beforeConnect") == 2)
            #expect(Recorder.shared.count(room, "beforeRequest") == 0)

            first.disconnect()
            try await waitUntil("a's connection was released") { try server.admission.counts.connections == 1 }
            #expect(try await server.request("GET", "/parties/probe/\(room)").status == 200)
            second.disconnect()
            try await server.waitForNoConnections()
        }
    }

    @Test("at maxLiveRooms a connection or request that would start another room gets 503 and starts nothing; live rooms still serve")
    func liveRooms() async throws {
        let clock = ManualClock()
        var configuration = PartyConfiguration(clock: clock)
        configuration.limits.maxLiveRooms = 1
        try await withLimitServer(configuration: configuration) { server in
            let live = uniqueRoom("live")
            let other = uniqueRoom("other")
            let socket = try await server.webSocket("/parties/probe/\(live)?_pk=a")
            _ = try await socket.nextText()
            #expect(try server.admission.counts.liveRooms == 1)

            #expect(try await upgradeStatus(server, "/parties/probe/\(other)") == 503)
            let refused = try await server.request("GET", "/parties/probe/\(other)")
            #expect(refused.status == 503)
            #expect(refused.header("retry-after") == "5")
            #expect(Probe.initCount(other) == 0)
            #expect(try await server.request("GET", "/parties/probe/\(live)").status == 200)

            // Once the live room is evicted, the other one may start.
            socket.disconnect()
            try await advance(clock, by: .seconds(11), until: "the live room was evicted") { server.application.roomState(server: "probe", name: live) == .absent }
            #expect(try server.admission.counts.liveRooms == 0)
            #expect(try await server.request("GET", "/parties/probe/\(other)").status == 200)
            #expect(Probe.initCount(other) == 1)
        }
    }

    @Test("at maxPendingActivations a new room cannot start until one finished starting; joining a starting room is fine")
    func pendingActivations() async throws {
        var configuration = PartyConfiguration()
        configuration.limits.maxPendingActivations = 1
        try await withLimitServer(configuration: configuration) { server in
            let starting = uniqueRoom("starting")
            let waiting = uniqueRoom("waiting")
            let first = try await server.webSocket("/parties/gated-start/\(starting)")
            try await waitUntil("the room is starting") { GatedStart.starts.withLock { $0[starting] } == 1 }
            #expect(try server.admission.counts.startingRooms == 1)

            let refusal = await upgradeError(server, "/parties/gated-start/\(waiting)")
            #expect(refusal?.status == 503)
            #expect(refusal?.headers.first { $0.0.lowercased() == "retry-after" }?.1 == "1")
            #expect(try await server.request("GET", "/parties/probe/\(uniqueRoom())").status == 503)
            #expect(GatedStart.inits.withLock { $0[waiting] } == nil)
            let joiner = try await server.webSocket("/parties/gated-start/\(starting)")

            await GatedStart.gate(starting).open()
            #expect(try await first.nextText() == "ready")
            #expect(try await joiner.nextText() == "ready")
            #expect(try server.admission.counts.startingRooms == 0)
            await GatedStart.gate(waiting).open()
            let late = try await server.webSocket("/parties/gated-start/\(waiting)")
            #expect(try await late.nextText() == "ready")
        }
    }

    @Test("a client over its message rate is closed with 1008 and onClose runs; the budget refills with time")
    func messageRate() async throws {
        let connectionClock = ManualClock()
        var configuration = PartyConfiguration(connectionClock: connectionClock)
        configuration.limits.messageRate = MessageRate(perSecond: 10, burst: 5)
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let flooder = try await server.webSocket("/parties/probe/\(room)?_pk=flood")
            #expect(try await flooder.nextText() == "welcome:flood")
            // The sixth message is one over the burst (sending more could race the close).
            for index in 1...6 {
                try await flooder.send(text: "echo:\(index)")
            }
            for index in 1...5 {
                #expect(try await flooder.nextText() == "\(index)")
            }
            let close = try await flooder.waitForClose()
            #expect(close.code == 1008)
            #expect(close.reason == "rate limit: at most 10 messages per second")
            try await waitUntil("onClose ran") {
                Recorder.shared.events(room).contains("close flood 1008 rate limit: at most 10 messages per second false")
            }
            #expect(Recorder.shared.count(room, "message flood") == 5)

            // Half a second later (on the connection clock) five more messages are allowed.
            let steady = try await server.webSocket("/parties/probe/\(room)?_pk=steady")
            _ = try await steady.nextText()
            for round in 0..<3 {
                for index in 1...5 { try await steady.send(text: "echo:\(round).\(index)") }
                for index in 1...5 { #expect(try await steady.nextText() == "\(round).\(index)") }
                connectionClock.advance(by: .milliseconds(500))
            }
            try await steady.send(text: "echo:still open")
            #expect(try await steady.nextText() == "still open")
        }
    }

    @Test("a request body over maxRequestBodySize gets 413 before any hook runs")
    func requestBodySize() async throws {
        var configuration = PartyConfiguration()
        configuration.maxRequestBodySize = 1024
        try await withLimitServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let over = try await server.request("POST", "/parties/probe/\(room)", body: String(repeating: "x", count: 1025))
            #expect(over.status == 413)
            #expect(over.text.contains("request body exceeds 1024 bytes"))
            #expect(Recorder.shared.events(room).isEmpty)
            let exact = try await server.request("POST", "/parties/probe/\(room)", body: String(repeating: "x", count: 1024))
            #expect(exact.status == 200)
        }
    }

    @Test("a request head over maxHeaderSize gets 431 and a close, for plain requests and upgrades; the default is 16 KiB")
    func headerSize() async throws {
        try await withLimitServer { server in
            let room = uniqueRoom()
            let big = String(repeating: "h", count: 17 * 1024)
            let fits = String(repeating: "h", count: 15 * 1024)
            #expect(try await server.request("GET", "/parties/probe/\(room)", headers: [("x-big", fits)]).status == 200)

            let plain = try await RawConnection.connect(port: server.port)
            try await plain.write("GET /parties/probe/\(room) HTTP/1.1\r\nHost: x\r\nx-big: \(big)\r\n\r\n")
            try await waitUntil("the server answered and closed") { plain.isClosed }
            #expect(plain.text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
            #expect(plain.text.contains("\"status\":431"))

            let upgrade = try await RawConnection.connect(port: server.port)
            try await upgrade.write(
                "GET /parties/probe/\(room) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nx-big: \(big)\r\n\r\n"
            )
            try await waitUntil("the server answered and closed") { upgrade.isClosed }
            #expect(upgrade.text.hasPrefix("HTTP/1.1 431 "))
            #expect(Recorder.shared.count(room, "beforeConnect") == 0)
            try await server.waitForNoConnections()
        }
    }
}
