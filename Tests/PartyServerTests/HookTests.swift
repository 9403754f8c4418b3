import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Hooks")
struct HookTests {
    @Test("every WebSocket hook runs in order with the upgrade request's URL, query and headers")
    func webSocketHooks() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=alice&q=42&tags=blue", headers: [("X-Test", "hello")])
            #expect(try await socket.nextText() == "welcome:alice")
            try await socket.send(text: "echo:ping")
            #expect(try await socket.nextText() == "ping")
            try await socket.send(binary: [1, 2, 3])
            #expect(try await socket.nextBinary() == [1, 2, 3])
            try await socket.close(code: 4001, reason: "bye")
            let close = try await socket.waitForClose()
            #expect(close.code == 4001)
            try await waitUntil("onClose ran") { Recorder.shared.count(room, "close") == 1 }
            let events = Recorder.shared.events(room)
            #expect(events == [
                "beforeConnect",
                "init",
                "start",
                "connect alice uri=/parties/probe/\(room)?_pk=alice&q=42&tags=blue q=42 h=hello user=- props=- tags=alice,blue",
                "message alice echo:ping",
                "close alice 4001 bye true",
            ])
        }
    }

    @Test("a connection id is the _pk parameter, or a fresh UUID")
    func connectionIDs() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let named = try await server.webSocket("/parties/probe/\(room)?_pk=fixed-id")
            #expect(try await named.nextText() == "welcome:fixed-id")
            let anonymous = try await server.webSocket("/parties/probe/\(room)")
            let welcome = try await anonymous.nextText()
            #expect(welcome.hasPrefix("welcome:"))
            #expect(UUID(uuidString: String(welcome.dropFirst("welcome:".count))) != nil)
            try await named.send(text: "lookup:fixed-id")
            #expect(try await named.nextText() == "lookup:fixed-id")
            #expect(try await upgradeStatus(server, "/parties/probe/\(room)?_pk=") == 400)
            #expect(try await upgradeStatus(server, "/parties/probe/\(room)?_pk=\(String(repeating: "k", count: 257))") == 400)
            try await named.close()
            try await anonymous.close()
        }
    }

    @Test("tags: the id comes first, connections(tagged:) finds them, and bad tags close with 1011")
    func tags() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let red = try await server.webSocket("/parties/probe/\(room)?_pk=r&tags=red,team")
            let blue = try await server.webSocket("/parties/probe/\(room)?_pk=b&tags=blue,team")
            _ = try await red.nextText()
            _ = try await blue.nextText()
            try await red.send(text: "tagged:team")
            #expect(try await red.nextText() == "tagged:b,r")
            try await red.send(text: "tagged:blue")
            #expect(try await red.nextText() == "tagged:b")
            try await red.send(text: "tagged:r")
            #expect(try await red.nextText() == "tagged:r")

            for bad in ["too-many", "too-long", "empty"] {
                let socket = try await server.webSocket("/parties/probe/\(room)?tags=\(bad)")
                let close = try await socket.waitForClose()
                #expect(close.code == 1011, "tags=\(bad)")
                #expect(close.reason.contains("tag"), "tags=\(bad): \(close.reason)")
            }
            #expect(Recorder.shared.count(room, "error") == 3)
            try await red.close()
            try await blue.close()
        }
    }

    @Test("connection state up to 16 KiB encoded is kept; larger is a clear error")
    func stateLimit() async throws {
        try await withProbeServer { server in
            let socket = try await server.webSocket("/parties/probe/\(uniqueRoom())")
            _ = try await socket.nextText()
            // A JSON string of n characters encodes to n + 2 bytes.
            try await socket.send(text: "state:\(16 * 1024 - 2)")
            #expect(try await socket.nextText() == "state-ok")
            try await socket.send(text: "getstate")
            #expect(try await socket.nextText() == "state:\(16 * 1024 - 2)")
            try await socket.send(text: "state:\(16 * 1024 - 1)")
            let error = try await socket.nextText()
            #expect(error.hasPrefix("state-error:"))
            #expect(error.contains("16385 bytes, over the 16384-byte limit"))
            try await socket.send(text: "getstate")
            #expect(try await socket.nextText() == "state:\(16 * 1024 - 2)")
            try await socket.close()
        }
    }

    @Test("broadcast reaches every connection except the excluded ones")
    func broadcastExclusion() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            var sockets: [TestWebSocket] = []
            for id in ["a", "b", "c"] {
                let socket = try await server.webSocket("/parties/probe/\(room)?_pk=\(id)")
                #expect(try await socket.nextText() == "welcome:\(id)")
                sockets.append(socket)
            }
            try await sockets[0].send(text: "broadcast:from-a")
            #expect(try await sockets[1].nextText() == "from-a")
            #expect(try await sockets[2].nextText() == "from-a")
            // The sender's next message is the echo, so the broadcast skipped it.
            try await sockets[0].send(text: "echo:after")
            #expect(try await sockets[0].nextText() == "after")
            try await sockets[1].send(text: "broadcast-all:everyone")
            for socket in sockets {
                #expect(try await socket.nextText() == "everyone")
            }
            for socket in sockets { try await socket.close() }
        }
    }

    @Test("onBeforeConnect can reject before any room starts, or attach a user the room sees")
    func beforeConnect() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            do {
                _ = try await server.webSocket("/parties/probe/\(room)", headers: [("X-Reject", "1")])
                Issue.record("the upgrade should have been refused")
            } catch TestWebSocketError.upgradeRejected(let status, _, let body) {
                #expect(status == 401)
                #expect(body.contains("rejected by onBeforeConnect"))
            }
            #expect(Probe.initCount(room) == 0)
            #expect(Recorder.shared.events(room) == ["beforeConnect"])

            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=u&user=ada")
            _ = try await socket.nextText()
            #expect(Recorder.shared.events(room).contains { $0.hasPrefix("connect u ") && $0.contains("user=ada props=yes") })
            try await socket.close()
        }
    }

    @Test("onBeforeRequest can reject before any room starts")
    func beforeRequest() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let response = try await server.request("GET", "/parties/probe/\(room)", headers: [("X-Reject", "1")])
            #expect(response.status == 403)
            #expect(response.text.contains("rejected by onBeforeRequest"))
            #expect(Probe.initCount(room) == 0)
        }
    }
}
