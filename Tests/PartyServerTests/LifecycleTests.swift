import Foundation
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Room lifecycle")
struct LifecycleTests {
    @Test("500 simultaneous first connections share one activation: one init, one onStart")
    func singleActivation() async throws {
        try await withProbeServer { server in
            try raiseOpenFileLimit(to: 4096)
            let room = uniqueRoom()
            let count = 500
            let sockets = try await withThrowingTaskGroup(of: TestWebSocket.self) { group in
                for index in 0..<count {
                    group.addTask {
                        try await server.webSocket("/parties/gated-start/\(room)?_pk=c\(index)")
                    }
                }
                var sockets: [TestWebSocket] = []
                for try await socket in group { sockets.append(socket) }
                return sockets
            }
            #expect(sockets.count == count)
            // All 500 are connected while onStart is held at its gate.
            try await waitUntil("onStart began") { GatedStart.starts.withLock { $0[room] } == 1 }
            await GatedStart.gate(room).open()
            for socket in sockets {
                #expect(try await socket.nextText(timeout: .seconds(30)) == "ready")
            }
            #expect(GatedStart.inits.withLock { $0[room] } == 1)
            #expect(GatedStart.starts.withLock { $0[room] } == 1)
            for socket in sockets { socket.disconnect() }
        }
    }

    @Test("onStart that throws fails that request (500 / 1011) and the next request starts the room")
    func onStartFailureThenSuccess() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let first = try await server.webSocket("/parties/flaky-start/\(room)")
            let close = try await first.waitForClose()
            #expect(close.code == 1011)
            let second = try await server.webSocket("/parties/flaky-start/\(room)")
            #expect(try await second.nextText() == "started")
            try await second.close()

            let httpRoom = uniqueRoom()
            #expect(try await server.request("GET", "/parties/flaky-start/\(httpRoom)").status == 500)
            let retry = try await server.request("GET", "/parties/flaky-start/\(httpRoom)")
            #expect(retry.status == 200)
            #expect(retry.text == "started")
        }
    }

    @Test("graceful shutdown closes every WebSocket with 1001 and runs onClose")
    func gracefulShutdown() async throws {
        let server = try await PartyTestServer.start { app in _ = try app.register(Probe.self) }
        let room = uniqueRoom()
        let a = try await server.webSocket("/parties/probe/\(room)?_pk=a")
        let b = try await server.webSocket("/parties/probe/\(room)?_pk=b")
        _ = try await a.nextText()
        _ = try await b.nextText()
        async let stopped: Void = server.shutdown()
        #expect(try await a.waitForClose().code == 1001)
        #expect(try await b.waitForClose().code == 1001)
        try await stopped
        let closes = Recorder.shared.events(room).filter { $0.hasPrefix("close ") }.sorted()
        #expect(closes.count == 2)
        #expect(closes.allSatisfy { $0.hasPrefix("close a 1001 ") || $0.hasPrefix("close b 1001 ") })
        #expect(closes.allSatisfy { $0.hasSuffix(" true") })
    }
}
