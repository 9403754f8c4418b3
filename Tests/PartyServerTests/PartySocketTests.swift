import Foundation
import PartyClient
import PartyServerTesting
import Synchronization
import Testing

/// PartySocket against a live server: queueing, closing, headers and query, fetch.
@Suite struct PartySocketTests {
    @Test func queuedMessagesGoFirstInOrderOnce() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("flush")
            let observer = try await server.webSocket("/parties/chat/\(room)?_pk=observer")
            try await observer.joined()
            let socket = try PartySocket(socketOptions(port: server.port, party: "chat", room: room))
            let early = (1...20).map { socket.send("q\($0)") }
            #expect(early.allSatisfy { $0 == .queued })
            #expect(socket.queuedMessageCount == 20)

            let running = RunningSocket(socket)
            running.start()
            try await running.waitOpen()
            let late = (1...20).map { socket.send("a\($0)") }
            #expect(late.allSatisfy { $0 == .sent }, "\(late)")

            var received: [String] = []
            for _ in 0..<40 { received.append(try await observer.nextText()) }
            #expect(received == (1...20).map { "q\($0)" } + (1...20).map { "a\($0)" })
            socket.send("end")
            #expect(try await observer.nextText() == "end")  // nothing was sent twice
            try await running.close()
            #expect(running.events.contains(.open))
        }
    }

    @Test func sendsRacingTheOpenKeepTheirOrder() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("race")
            let cap = 100_000
            var options = socketOptions(port: server.port, party: "greeter", room: room, id: "racer")
            options.maxEnqueuedMessages = cap
            let socket = try PartySocket(options)
            let running = RunningSocket(socket)

            // Send while the connection opens in the background, until 50 in a row went out at
            // once (or the cap or 20 s are reached, which fails below).
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            var results: [PartySendResult] = []
            while results.count < cap, ContinuousClock.now < deadline {
                results.append(socket.send("m\(results.count + 1)"))
                if results.count == 5 { running.start() }
                if results.count >= 300, results.suffix(50).allSatisfy({ $0 == .sent }) { break }
                await Task.yield()
            }
            socket.send("end")

            let firstSent = try #require(results.firstIndex(of: .sent), "none of \(results.count) messages went out at once")
            #expect(firstSent >= 5)
            #expect(results[..<firstSent].allSatisfy { $0 == .queued })
            #expect(results[firstSent...].allSatisfy { $0 == .sent }, "a message was queued after one was sent")
            // The room records what it receives, in order (no relay, so no outbound limit applies).
            try await waitUntil(timeout: .seconds(60), "the room received everything") {
                Recorder.shared.events(room).last == "racer:end"
            }
            let received = Recorder.shared.events(room).filter { $0.hasPrefix("racer:") }
            let expected = results.indices.map { "racer:m\($0 + 1)" } + ["racer:end"]
            #expect(received.count == expected.count)
            let firstDifference = zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(firstDifference == nil, "first difference: \(String(describing: firstDifference))")
            try await running.close()
        }
    }

    @Test func binaryMessagesBothWays() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("binary")
            let peer = try await server.webSocket("/parties/chat/\(room)?_pk=peer")
            try await peer.joined()
            let running = try RunningSocket.start(socketOptions(port: server.port, party: "chat", room: room))
            try await running.waitOpen()
            #expect(running.socket.send(Data([0, 1, 2, 255])) == .sent)
            #expect(try await peer.nextBinary() == [0, 1, 2, 255])
            try await peer.send(binary: [9, 8, 7])
            try await waitUntil("the binary message arrived") { running.events.contains(.message(.binary(Data([9, 8, 7])))) }
            try await running.close()
        }
    }

    @Test func wssToAPlainServerFailsInTheTLSHandshake() async throws {
        let server = try await ScriptedTCPServer.start(reply: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        var options = socketOptions(port: server.port, party: "chat", room: "r")
        options.scheme = .wss
        options.maxRetries = 0
        let running = try RunningSocket.start(options)
        try await running.waitReturned()
        try await server.stop()
        let errors = running.events.compactMap { event -> PartySocketError? in
            if case .error(let error) = event { return error }
            return nil
        }
        #expect(errors.map(\.code) == [.connectionFailed], "\(errors)")
        #expect(running.opens == 0)
    }

    @Test func aHandshakeThatNeverCompletesTimesOut() async throws {
        let server = try await ScriptedTCPServer.start(reply: nil)  // accepts, never answers
        let clock = ManualClock()
        var options = socketOptions(port: server.port, party: "chat", room: "r")
        options.clock = clock
        options.connectionTimeout = .seconds(4)
        options.maxRetries = 0
        let running = try RunningSocket.start(options)
        try await waitUntil("the attempt waits for its handshake") {
            running.socket.state == .connecting && clock.sleepers == 1
        }
        clock.advance(by: .seconds(4))
        try await running.waitReturned()
        try await server.stop()
        let errors = running.events.compactMap { event -> PartySocketError? in
            if case .error(let error) = event { return error }
            return nil
        }
        #expect(errors.map(\.code) == [.connectionTimedOut], "\(errors)")
        #expect(running.events.last == .close(code: 1006, reason: "", wasClean: false))
    }

    @Test func queueIsBounded() throws {
        var options = PartySocketOptions(host: "localhost:1", room: "r")
        options.maxEnqueuedMessages = 3
        let socket = try PartySocket(options)
        #expect((1...5).map { socket.send("m\($0)") } == [.queued, .queued, .queued, .dropped(.queueFull), .dropped(.queueFull)])
        #expect(socket.queuedMessageCount == 3)
        socket.close()
        #expect(socket.state == .closed)
        #expect(socket.send("after") == .dropped(.socketClosed))
    }

    @Test func closeStopsReconnecting() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("close")
            let running = try RunningSocket.start(socketOptions(port: server.port, party: "greeter", room: room, id: "closer"))
            try await running.waitOpen()
            try await waitUntil("the room saw the connection") { Recorder.shared.events(room).contains("connect closer") }

            try running.socket.close(code: 4001, reason: "bye")
            #expect([.closing, .closed].contains(running.socket.state))
            try await running.waitReturned()

            #expect(running.socket.state == .closed)
            // The close event reports the server's answer: the same code (PartyServer echoes no reason).
            #expect(running.events.last == .close(code: 4001, reason: "", wasClean: true))
            try await waitUntil("the room saw the close") { Recorder.shared.events(room).contains("close closer 4001") }
            running.socket.reconnect()  // no effect once closed
            #expect(running.socket.state == .closed)
            #expect(running.socket.send("x") == .dropped(.socketClosed))
            #expect(Recorder.shared.count(room, "connect closer") == 1)
            #expect(running.opens == 1)
        }
    }

    @Test func cancellingRunClosesTheSocket() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("cancel")
            let socket = try PartySocket(socketOptions(port: server.port, party: "greeter", room: room, id: "cancelled"))
            let task = Task { try await socket.run() }
            try await waitUntil("open") { socket.state == .open }
            task.cancel()
            try await task.value
            #expect(socket.state == .closed)
            try await waitUntil("the room saw the close") { Recorder.shared.events(room).contains("close cancelled 1000") }
        }
    }

    @Test func headersAndQueryAreSentAndTheQueryIsEvaluatedOnEachConnect() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("auth")
            let tokens = Atomic<Int>(0)
            var options = socketOptions(port: server.port, party: "greeter", room: room, id: "worker-1")
            options.headers = ["Authorization": "Bearer s3cret-t0ken"]
            options.query = .dynamic { [("token", "t\(tokens.add(1, ordering: .relaxed).newValue)")] }
            let running = try RunningSocket.start(options)
            try await waitUntil("welcomed") { running.texts.count == 1 }
            #expect(running.texts == ["welcome worker-1 auth=Bearer s3cret-t0ken token=t\(tokens.load(ordering: .relaxed))"])

            let tokensBefore = tokens.load(ordering: .relaxed)
            running.socket.reconnect()
            try await waitUntil("welcomed again") { running.texts.count == 2 }
            #expect(tokens.load(ordering: .relaxed) > tokensBefore)
            #expect(running.texts.last == "welcome worker-1 auth=Bearer s3cret-t0ken token=t\(tokens.load(ordering: .relaxed))")
            #expect(running.opens == 2)
            #expect(running.events.contains(.close(code: 1000, reason: "", wasClean: true)))
            try await waitUntil("the room saw the first connection close") { Recorder.shared.events(room).contains("close worker-1 1000") }
            try await running.close()
        }
    }

    @Test func rejectedUpgradeIsReportedWithItsStatus() async throws {
        try await withClientTestServer { server in
            var options = socketOptions(port: server.port, party: "no-such-party", room: "r")
            options.maxRetries = 0
            let running = try RunningSocket.start(options)
            try await running.waitReturned()
            let errors = running.events.compactMap { event -> PartySocketError? in
                if case .error(let error) = event { return error }
                return nil
            }
            #expect(errors.map(\.code) == [.upgradeRejected])
            #expect(errors.first?.status == 404)
            #expect(errors.first?.description.contains("party") == true)
            #expect(running.socket.state == .closed)
        }
    }

    @Test func fetchReachesTheRoomWithHeadersAndQuery() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("fetch")
            var options = socketOptions(port: server.port, party: "greeter", room: room)
            options.headers = ["Authorization": "Bearer s3cret-t0ken"]
            options.query = .dynamic { [("token", "fresh")] }
            let socket = try PartySocket(options)

            let response = try await socket.fetch(method: "POST", path: "items/1", body: Data("hello".utf8))
            #expect(response.status == 200)
            let json = try JSONDecoder().decode([String: String].self, from: response.body)
            #expect(json == ["method": "POST", "path": "/items/1", "body": "hello", "auth": "Bearer s3cret-t0ken", "token": "fresh", "pk": "-"])

            let replaced = try await socket.fetch(headers: [("authorization", "Bearer other")])
            #expect(try JSONDecoder().decode([String: String].self, from: replaced.body)["auth"] == "Bearer other")
        }
    }

    @Test func fetchTheCounter() async throws {
        try await withClientTestServer { server in
            let socket = try PartySocket(socketOptions(port: server.port, party: "counter", room: uniqueRoom("count")))
            #expect(try await socket.fetch(method: "POST").text == #"{"count":1}"#)
            let read = try await socket.fetch()
            #expect(read.text == #"{"count":1}"#)
            #expect(read.header("content-type") == "application/json")
            #expect(try await socket.fetch(method: "PUT").status == 405)
        }
    }

    @Test func fetchFromNowhereThrows() async throws {
        let socket = try PartySocket(socketOptions(port: try await unusedPort(), party: "counter", room: "r"))
        await #expect(throws: PartySocketError.self) { try await socket.fetch() }
        do {
            _ = try await socket.fetch()
        } catch {
            #expect(error.code == .requestFailed)
        }
        await #expect(throws: PartySocketError.self) { try await socket.fetch(method: "BAD METHOD") }
    }
}
