import Foundation
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

@Suite("partyserver limit options")
struct LimitOptionTests {
    /// The `partyserver` executable built beside the test bundle.
    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
    }

    @Test("--max-connections-per-room and --message-rate reach the server")
    func optionsApply() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let port = Mutex<Int?>(nil)
        let arguments = ["--port", "0", "--data-dir", dataDirectory, "--max-connections-per-room", "1", "--message-rate", "1"]
        let process = try ChildProcess.spawn(executable, arguments: arguments) { line in
            guard let range = line.range(of: "listening on http://127.0.0.1:") else { return }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            port.withLock { $0 = Int(digits) }
        }
        defer {
            process.signalGroup(SIGKILL)
            process.reap()
        }
        try await waitUntil(timeout: .seconds(30), "the server logged its URL") { port.withLock { $0 } != nil }
        let bound = try #require(port.withLock { $0 })

        let alice = try await TestWebSocket.connect(port: bound, path: "/parties/chat/limits")
        do {
            _ = try await TestWebSocket.connect(port: bound, path: "/parties/chat/limits")
            Issue.record("a second connection to a room limited to one was accepted")
        } catch TestWebSocketError.upgradeRejected(let status, _, _) {
            #expect(status == 503)
        }
        // A rate of 1 per second allows bursts of 2: the third message is one too many (sending
        // more could race the close).
        for index in 0..<3 { try await alice.send(text: "m\(index)") }
        #expect(try await alice.waitForClose().code == 1008)

        process.signalGroup(SIGTERM)
        try await waitUntil(timeout: .seconds(15), "the server exited") { process.hasFinished }
        #expect(process.reap() == 0, "output:\n\(process.outputTail())")
    }

    @Test("--max-message-size and --no-compression reach the server")
    func messageOptionsApply() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let (process, bound) = try await startPartyServerProcess(["--data-dir", dataDirectory, "--max-message-size", "200", "--no-compression"])
        defer {
            process.signalGroup(SIGKILL)
            process.reap()
        }
        let socket = try await TestWebSocket.connect(
            port: bound, path: "/parties/echo/options", headers: [("Sec-WebSocket-Extensions", "permessage-deflate")]
        )
        defer { socket.disconnect() }
        #expect(!socket.handshakeHeaders.contains { $0.0.lowercased() == "sec-websocket-extensions" }, "compression was negotiated")
        let fits = String(repeating: "a", count: 200)
        try await socket.send(text: fits)
        #expect(try await socket.nextText() == fits)
        try await socket.send(text: fits + "b")
        #expect(try await socket.waitForClose().code == 1009)
    }

    @Test("limit options out of range exit with a message naming the option")
    func optionsAreValidated() async throws {
        for (option, value) in [
            ("--max-connections", "0"), ("--max-connections-per-room", "-1"), ("--message-rate", "-1"), ("--ping-interval", "fast"),
            ("--max-message-size", "100"), ("--compression-minimum-size", "0"),
        ] {
            let process = try ChildProcess.spawn(executable, arguments: ["--port", "0", option, value])
            try await waitUntil(timeout: .seconds(15), "partyserver refused \(option) \(value)") { process.hasFinished }
            #expect(process.reap() != 0)
            #expect(process.outputText.contains(option), "\(process.outputText)")
        }
    }
}
#endif
