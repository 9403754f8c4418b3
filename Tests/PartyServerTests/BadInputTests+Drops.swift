import PartyServer
import PartyServerTesting
import Testing

extension BadInputTests {
    /// Connections opened and dropped in all, in batches of `batchSize` open at once.
    static let droppedConnections = 10_000
    static let batchSize = 500
    /// The time all batches may take together (about 30 s on a busy 2-core machine).
    static let dropDeadline = Duration.seconds(90)

    @Test("10,000 upgraded connections dropped without a close frame (FIN or RST) leave no connection or file descriptor behind")
    func droppedWithoutClose() async throws {
        // Each connection holds two descriptors in this process (client and server side).
        try raiseOpenFileLimit(to: UInt(Int32.max))
        try await BadInputHarness.run { harness in
            let room = uniqueRoom("dropped")
            let path = "/parties/probe/\(room)"
            let key = RoomKey(server: "probe", name: room)
            let registry = try #require(harness.server.application.registry)
            let descriptorsBefore = try DroppedConnection.openFileDescriptors()
            let clock = ContinuousClock()
            let started = clock.now
            for batch in 0..<(Self.droppedConnections / Self.batchSize) {
                guard clock.now - started < Self.dropDeadline else {
                    Issue.record("only \(batch * Self.batchSize) connections were dropped within \(Self.dropDeadline)")
                    return
                }
                try await withThrowingDiscardingTaskGroup { group in
                    for index in 0..<Self.batchSize {
                        let moment: DroppedConnection.Moment = index % 4 < 2 ? .afterUpgrade : .afterFirstFrame
                        group.addTask {
                            try await DroppedConnection.run(port: harness.port, path: path, moment: moment, reset: index % 2 == 1)
                        }
                    }
                }
                try await harness.witness.progressed(by: 1)
            }

            try await waitUntil(timeout: .seconds(60), "every dropped connection left the room") {
                (registry.existingSlot(key)?.room.connectionCount ?? 0) == 0
            }
            try await waitUntil(timeout: .seconds(60), "onClose ran for every dropped connection") {
                Recorder.shared.count(room, "close ") == Self.droppedConnections
            }
            let closes = Recorder.shared.events(room).filter { $0.hasPrefix("close ") }
            #expect(closes.allSatisfy { $0.hasSuffix(" 1006  false") }, "\(closes.first { !$0.hasSuffix(" 1006  false") } ?? "")")
            let ended = harness.log.lines.filter { $0.message == "connection ended without a close frame" && $0.metadata["room"] == room }
            #expect(ended.count == Self.droppedConnections)
            #expect(ended.allSatisfy { $0.level == .debug })
            #expect(harness.log.lines(mentioning: room, atLeast: .info).isEmpty)

            let descriptors = try await eventually("the descriptors were released", timeout: .seconds(60)) { () -> PollResult<Int> in
                let count = try DroppedConnection.openFileDescriptors()
                return count <= descriptorsBefore + 16 ? .done(count) : .pending("\(count) open, \(descriptorsBefore) before")
            }
            #expect(descriptors <= descriptorsBefore + 16)

            let socket = try await RawWebSocket.open(port: harness.port, path: path + "?_pk=after")
            try await socket.waitForFrame("the welcome after the drops") { $0.text == "welcome:after" }
            try await socket.sendFrame(WireFrame.close, WireFrame.closePayload(code: 1000))
            #expect(try await socket.waitForClose(answer: false).code == 1000)
        }
    }
}

extension BadInputTests {
    @Test("a client that hangs up inside a frame or a fragmented message ends with 1006 and one debug line", arguments: [
        ("inside a frame header", false), ("inside a frame header", true),
        ("inside a payload", false), ("inside a payload", true),
        ("between fragments", false), ("between fragments", true),
    ])
    func hangUpMidFrame(cut: String, reset: Bool) async throws {
        try await BadInputHarness.run { harness in
            let room = uniqueRoom("cut")
            let marker = Self.marker("cut")
            let socket = try await RawWebSocket.open(port: harness.port, path: "/parties/probe/\(room)?_pk=\(marker)")
            try await socket.waitForFrame("the welcome message") { $0.opcode == WireFrame.text }
            let whole = WireFrame.encode(opcode: WireFrame.text, payload: Array(repeating: 0x61, count: 300))
            switch cut {
            case "inside a frame header": try await socket.send(Array(whole.prefix(3)))
            case "inside a payload": try await socket.send(Array(whole.prefix(100)))
            default: try await socket.sendFrame(WireFrame.text, Array("echo:part".utf8), fin: false)
            }
            try await harness.witness.progressed()
            if reset {
                socket.connection.resetAndClose()
            } else {
                socket.connection.close()
            }
            try await waitUntil("onClose ran with 1006") { Recorder.shared.events(room).contains("close \(marker) 1006  false") }
            try await harness.expectOneLine(mentioning: marker, level: .debug)
            #expect(harness.line(mentioning: marker)?.message == "connection ended without a close frame")
        }
    }
}
