import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Errors and close handshakes")
struct ErrorTests {
    @Test("a throwing hook closes only that connection with 1011 and calls onError")
    func throwingHook() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let victim = try await server.webSocket("/parties/probe/\(room)?_pk=victim")
            let bystander = try await server.webSocket("/parties/probe/\(room)?_pk=bystander")
            _ = try await victim.nextText()
            _ = try await bystander.nextText()
            try await victim.send(text: "throw")
            #expect(try await victim.waitForClose().code == 1011)
            try await waitUntil("onError ran") { Recorder.shared.count(room, "error victim") == 1 }
            try await bystander.send(text: "echo:still here")
            #expect(try await bystander.nextText() == "still here")
            try await bystander.close()
        }
    }

    @Test("onConnect that throws closes that connection with 1011")
    func throwingOnConnect() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=x&fail=connect")
            #expect(try await socket.waitForClose().code == 1011)
            try await waitUntil("onError ran") { Recorder.shared.count(room, "error x") == 1 }
        }
    }

    @Test("a message over the maximum size closes with 1009, whole or fragmented")
    func messageTooBig() async throws {
        try await withProbeServer(configuration: PartyConfiguration(maxMessageSize: 64 * 1024)) { server in
            let room = uniqueRoom()
            let exact = try await server.webSocket("/parties/probe/\(room)")
            _ = try await exact.nextText()
            try await exact.send(text: "echo:" + String(repeating: "x", count: 64 * 1024 - 5))
            #expect(try await exact.nextText().count == 64 * 1024 - 5)
            try await exact.close()

            let whole = try await server.webSocket("/parties/probe/\(room)")
            _ = try await whole.nextText()
            try await whole.send(text: String(repeating: "x", count: 64 * 1024 + 1))
            #expect(try await whole.waitForClose().code == 1009)

            let fragmented = try await server.webSocket("/parties/probe/\(room)")
            _ = try await fragmented.nextText()
            let half = [UInt8](repeating: 0x61, count: 40 * 1024)
            try await fragmented.sendFrame(opcode: 0x1, payload: half, fin: false)
            try await fragmented.sendFrame(opcode: 0x0, payload: half, fin: true)
            #expect(try await fragmented.waitForClose().code == 1009)
        }
    }

    @Test("invalid UTF-8 in a text message or a close reason closes with 1007")
    func invalidUTF8() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let text = try await server.webSocket("/parties/probe/\(room)")
            _ = try await text.nextText()
            try await text.sendFrame(opcode: 0x1, payload: [0x68, 0x69, 0xC3, 0x28])
            #expect(try await text.waitForClose().code == 1007)

            let split = try await server.webSocket("/parties/probe/\(room)")
            _ = try await split.nextText()
            // A valid two-byte sequence split across fragments is fine...
            try await split.sendFrame(opcode: 0x1, payload: Array("echo:caf".utf8) + [0xC3], fin: false)
            try await split.sendFrame(opcode: 0x0, payload: [0xA9], fin: true)
            #expect(try await split.nextText() == "café")
            // ...an overlong encoding is not.
            try await split.sendFrame(opcode: 0x1, payload: [0xC0, 0xAF])
            #expect(try await split.waitForClose().code == 1007)

            let reason = try await server.webSocket("/parties/probe/\(room)")
            _ = try await reason.nextText()
            try await reason.sendFrame(opcode: 0x8, payload: [0x03, 0xE8, 0xFF, 0xFE])
            #expect(try await reason.waitForClose().code == 1007)
        }
    }

    @Test("unmasked client frames and invalid close codes close with 1002")
    func protocolErrors() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let unmasked = try await server.webSocket("/parties/probe/\(room)")
            _ = try await unmasked.nextText()
            try await unmasked.sendFrame(opcode: 0x1, payload: Array("hi".utf8), masked: false)
            #expect(try await unmasked.waitForClose().code == 1002)

            let badCode = try await server.webSocket("/parties/probe/\(room)")
            _ = try await badCode.nextText()
            try await badCode.sendFrame(opcode: 0x8, payload: [0x03, 0xED])  // 1005 may not be sent
            #expect(try await badCode.waitForClose().code == 1002)
        }
    }

    @Test("a client's close is always answered with a close frame, and onClose sees its code")
    func clientCloseHandshake() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=c")
            _ = try await socket.nextText()
            try await socket.close(code: 1000, reason: "done")
            #expect(try await socket.next() == .close(code: 1000, reason: ""))
            try await socket.waitForDisconnect()
            try await waitUntil("onClose ran") { Recorder.shared.events(room).contains("close c 1000 done true") }

            let silent = try await server.webSocket("/parties/probe/\(room)?_pk=s")
            _ = try await silent.nextText()
            try await silent.sendFrame(opcode: 0x8, payload: [])
            #expect(try await silent.waitForClose().code == nil)
            try await waitUntil("onClose ran with 1005") { Recorder.shared.events(room).contains("close s 1005  true") }
        }
    }

    @Test("a close started by the room completes the handshake and onClose reports it clean")
    func serverCloseHandshake() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=k")
            _ = try await socket.nextText()
            try await socket.send(text: "close:4002")
            let close = try await socket.waitForClose()
            #expect(close.code == 4002)
            #expect(close.reason == "closed by room")
            try await waitUntil("onClose ran") {
                Recorder.shared.events(room).contains { $0.hasPrefix("close k 4002 ") && $0.hasSuffix(" true") }
            }
        }
    }

    @Test("a client that vanishes without a close frame is reported with 1006, not clean")
    func abruptDisconnect() async throws {
        try await withProbeServer { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=gone")
            _ = try await socket.nextText()
            socket.disconnect()
            try await waitUntil("onClose ran") { Recorder.shared.events(room).contains("close gone 1006  false") }
        }
    }

    @Test("a message larger than the outbound byte limit reaches a client that reads, and the connection stays open")
    func largeMessageIsNotASlowClient() async throws {
        // 3 MiB each way: over the 1 MiB outbound queue limit, under a raised maxMessageSize.
        let configuration = PartyConfiguration(maxMessageSize: 4 << 20)
        #expect(configuration.connectionLimits.maxQueuedBytes < 3 << 20)
        try await withProbeServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let socket = try await server.webSocket("/parties/probe/\(room)?_pk=big")
            #expect(try await socket.nextText() == "welcome:big")
            for round in 0..<2 {
                let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
                try await socket.send(binary: payload)
                let echoed = try await socket.nextBinary(timeout: .seconds(30))
                #expect(echoed.count == payload.count)
                #expect(echoed == payload, "round \(round): the echo differs")
            }
            try await socket.send(text: "echo:still open")
            #expect(try await socket.nextText() == "still open")
            try await socket.close()
        }
    }

    @Test("a slow client is closed with 1008 while a fast one in the same room gets every message")
    func slowConsumer() async throws {
        let configuration = PartyConfiguration(closeTimeout: .seconds(60))
        try await withProbeServer(configuration: configuration) { server in
            let room = uniqueRoom()
            let slow = try await server.webSocket("/parties/probe/\(room)?_pk=slow", receiveBufferSize: 16 * 1024)
            #expect(try await slow.nextText() == "welcome:slow")
            slow.pauseReading()
            let fast = try await server.webSocket("/parties/probe/\(room)?_pk=fast")
            #expect(try await fast.nextText() == "welcome:fast")

            // Rounds of 200 messages of 4 KiB stay under the queue limits of a client that reads;
            // the slow client's backlog grows by each round until its queue overflows.
            var slowDropped = false
            var rounds = 0
            while !slowDropped, rounds < 60 {
                rounds += 1
                try await fast.send(text: "flood:200:4096")
                for index in 0..<200 {
                    let text = try await fast.nextText()
                    #expect(text.hasPrefix("\(index):"), "round \(rounds): message \(index) out of order")
                }
                #expect(try await fast.nextText() == "flood-done")
                try await fast.send(text: "tagged:slow")
                slowDropped = try await fast.nextText() == "tagged:"
            }
            #expect(slowDropped, "the slow client was still listed after \(rounds) rounds")

            slow.resumeReading()
            let close = try await slow.waitForClose(timeout: .seconds(30))
            #expect(close.code == 1008)
            try await fast.send(text: "echo:still served")
            #expect(try await fast.nextText() == "still served")
            try await fast.close()
        }
    }
}
