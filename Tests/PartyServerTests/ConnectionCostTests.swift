import Foundation
import NIOCore
@testable import PartyRuntime
@testable import PartyServer
import PartyServerTesting
import Testing

/// Structural facts that keep an idle WebSocket cheap (its cost itself is measured by
/// `Benchmarks/run-connections`, not here).
@Suite("Connection cost")
struct ConnectionCostTests {
    /// The type names of `channel`'s handlers, head first, read on its event loop.
    private func handlerTypes(_ channel: any Channel) async throws -> [String] {
        let description = try await channel.eventLoop.submit { channel.pipeline.debugDescription }.get()
        // One line per handler: "<inbound type> ↓↑ <outbound type> [name]".
        return description.split(separator: "\n").dropFirst(2).map { line in
            let sides = line.split(separator: "↓↑", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let inbound = sides.first ?? ""
            let outbound = (sides.last ?? "").split(separator: " ").dropLast().joined(separator: " ")
            return inbound.isEmpty ? outbound : inbound
        }
    }

    /// Opens a connection to a new probe room and checks one echo, so its session has read and
    /// written a frame and gone idle.
    private func openProbe(_ server: PartyTestServer, id: String) async throws -> (room: String, socket: TestWebSocket) {
        let room = uniqueRoom()
        let socket = try await server.webSocket("/parties/probe/\(room)?_pk=\(id)")
        #expect(try await socket.nextText() == "welcome:\(id)")
        try await socket.send(text: "echo:hi")
        #expect(try await socket.nextText() == "hi")
        return (room, socket)
    }

    @Test("an upgraded WebSocket keeps only the frame codec and its session's handler")
    func upgradedPipeline() async throws {
        try await withLimitServer { server in
            let (_, socket) = try await openProbe(server, id: "lean")
            let channels = try server.liveness.watchedChannels
            try #require(channels.count == 1)
            let types = try await handlerTypes(channels[0])
            // No HTTP codec, upgrade handler, request guard or async-channel bridge is left, and
            // the session's handler keeps the framing rules and the liveness record itself.
            #expect(
                types.sorted() == ["ByteToMessageHandler<WebSocketFrameDecoder>", "WebSocketFrameEncoder", "WebSocketSessionHandler"]
            )
            #expect(types.last == "WebSocketSessionHandler")
            try await socket.close()
        }
    }

    @Test("an accepted upgrade is answered by the opening handshake's handler, not NIO's generic upgrader, and early frames still arrive")
    func directUpgrade() async throws {
        // The RFC 6455 example key and its accept value.
        #expect(DirectUpgradeHandler.acceptValue(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        try await withLimitServer { server in
            let room = uniqueRoom()
            // A frame sent before the 101 waits with the request head, and goes to the frame
            // decoder once it is in the pipeline.
            let early = WireFrame.encode(opcode: 0x1, payload: Array("echo:early".utf8))
            let socket = try await RawWebSocket.open(port: server.port, path: "/parties/probe/\(room)?_pk=direct", trailing: early)
            defer { socket.connection.close() }
            // Exactly the head `OpeningHandshakeHandler` (and `DirectUpgradeHandler`) writes: NIO's
            // upgrader orders and spells these fields differently (`connection` first,
            // `Sec-WebSocket-Accept`).
            let head = socket.connection.text.components(separatedBy: "\r\n\r\n")[0]
            #expect(
                head == "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
                    + "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
            )
            try await socket.waitForFrame("the welcome") { $0.text == "welcome:direct" }
            try await socket.waitForFrame("the early frame's echo") { $0.text == "early" }
        }
    }

    @Test("an upgrade the opening handshake leaves to the HTTP decoder is served by the HTTP pipeline, which leaves the same three handlers")
    func upgradeThroughHTTPPipeline() async throws {
        try await withLimitServer { server in
            let room = uniqueRoom()
            var sockets: [RawWebSocket] = []
            defer { for socket in sockets { socket.connection.close() } }
            // `Content-Length: 0` and a value outside ASCII are legal, but not the plain head the
            // opening handshake reads itself.
            for (index, header) in ["Content-Length: 0", "X-Name: caf\u{e9}"].enumerated() {
                let request = RawWebSocket.upgradeRequest("/parties/probe/\(room)", headers: [header])
                #expect(UpgradeRequestHead.parse(ByteBuffer(string: request), maxSize: 8192).isOther, "\(header)")
                let early = WireFrame.encode(opcode: 0x1, payload: Array("echo:early\(index)".utf8))
                let socket = try await RawWebSocket.open(port: server.port, path: "/parties/probe/\(room)?_pk=http\(index)", headers: [header], trailing: early)
                sockets.append(socket)
                #expect(socket.connection.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"))
                try await socket.waitForFrame("the welcome") { $0.text == "welcome:http\(index)" }
                try await socket.waitForFrame("the early frame's echo") { $0.text == "early\(index)" }
            }
            let channels = try server.liveness.watchedChannels
            try #require(channels.count == 2)
            for channel in channels {
                let types = try await handlerTypes(channel)
                #expect(types.sorted() == ["ByteToMessageHandler<WebSocketFrameDecoder>", "WebSocketFrameEncoder", "WebSocketSessionHandler"])
            }
        }
    }

    @Test("an upgrade head that arrives in pieces is read whole, then served, with the frame sent after it")
    func headInPieces() async throws {
        try await withLimitServer { server in
            let request = Array(RawWebSocket.upgradeRequest("/parties/probe/\(uniqueRoom())?_pk=pieces").utf8)
            let connection = try await RawConnection.connect(port: server.port)
            defer { connection.close() }
            try await connection.write(bytes: Array(request[..<20]))
            try await waitUntil("the server read the first piece") { try server.liveness.partialRequestCount == 1 }
            try await connection.write(bytes: Array(request[20..<(request.count - 3)]))
            try await connection.write(bytes: Array(request[(request.count - 3)...]) + WireFrame.encode(opcode: 0x1, payload: Array("echo:whole".utf8)))
            try await waitUntil("the 101 and the echo arrived") { connection.text.contains("whole") }
            #expect(connection.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(try server.liveness.partialRequestCount == 0)
        }
    }

    @Test("a connection's outbound queue gives its storage back once drained")
    func queueStorageReleased() async throws {
        try await withLimitServer { server in
            let (room, socket) = try await openProbe(server, id: "drained")
            let registry = try #require(server.application.registry)
            let connection = try #require(registry.existingSlot(RoomKey(server: "probe", name: room))?.room.connection(id: "drained"))
            // The writer took the frame with its storage before putting it on the wire.
            #expect(connection.queueStorageCapacity == 0)
            // A burst grows the storage; once the client has it all, none is kept.
            for index in 0..<40 { try await socket.send(text: "echo:burst \(index)") }
            for index in 0..<40 { #expect(try await socket.nextText() == "burst \(index)") }
            #expect(connection.queueStorageCapacity == 0)
            try await socket.close()
        }
    }

    @Test("a closed WebSocket's session lets go of its connection")
    func sessionReleased() async throws {
        try await withLimitServer { server in
            let (room, socket) = try await openProbe(server, id: "gone")
            let edge = try #require(server.application.edge)
            #expect(edge.sessions.count == 1)
            weak var released: Connection?
            do {
                let connection = edge.registry.existingSlot(RoomKey(server: "probe", name: room))?.room.connection(id: "gone")
                try #require(connection != nil)
                released = connection
            }
            try await socket.close()
            try await waitUntil("the session ended") { edge.sessions.count == 0 }
            // Nothing the channel, its handlers or the session held keeps the connection alive.
            try await waitUntil("the connection is released") { released == nil }
        }
    }

    @Test("a frame queue holds storage only while frames wait")
    func frameQueueStorage() {
        let queue = FrameQueue()
        #expect(queue.storageCapacity == 0)
        for index in 0..<5 { queue.append(OutboundFrame(kind: .text, data: ByteBuffer(string: "f\(index)"))) }
        #expect(queue.storageCapacity >= 5)
        var batch = queue.takeAll()
        #expect(queue.storageCapacity == 0 && queue.isEmpty)
        #expect(batch.count == 5)
        var texts: [String] = []
        while let frame = batch.next() { texts.append(String(buffer: frame.data)) }
        #expect(texts == (0..<5).map { "f\($0)" })
        queue.append(OutboundFrame(kind: .text, data: ByteBuffer(string: "again")))
        queue.removeAll()
        #expect(queue.storageCapacity == 0)
    }

    @Test("a session's inbox keeps no storage when empty and holds reads back past its high watermark")
    func inboxBackpressure() {
        let inbox = SessionInbox()
        #expect(inbox.post(.inputEnded))
        #expect(!inbox.post(.inputEnded))
        for _ in 0..<(SessionInbox.highWatermark - 2) { _ = inbox.post(.inputEnded) }
        #expect(inbox.shouldHoldReads())
        var resumed = false
        var taken = 0
        while true {
            let (event, resume) = inbox.take()
            if resume {
                resumed = true
                #expect(inbox.count <= SessionInbox.lowWatermark)
            }
            guard event != nil else { break }
            taken += 1
        }
        #expect(taken == SessionInbox.highWatermark)
        #expect(resumed)
        #expect(inbox.count == 0)
        // The taker ended: the next post must start another.
        #expect(inbox.post(.inputEnded))
    }
}
