import Foundation
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

@Suite("partyserver command")
struct CommandLineTests {
    /// The `partyserver` executable built beside the test bundle.
    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
    }

    @Test("serves the ready-made rooms, logs its URL, and on SIGTERM closes sockets with 1001 and exits 0")
    func serveAndTerminate() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: executable), "build it with `swift build --build-tests`")
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let port = Mutex<Int?>(nil)
        let process = try ChildProcess.spawn(executable, arguments: ["--port", "0", "--data-dir", dataDirectory]) { line in
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
        #expect(FileManager.default.fileExists(atPath: dataDirectory))

        let alice = try await TestWebSocket.connect(port: bound, path: "/parties/chat/cli")
        let bob = try await TestWebSocket.connect(port: bound, path: "/parties/chat/cli")
        try await alice.joined()
        try await bob.joined()
        try await alice.send(text: "ping")
        #expect(try await bob.nextText() == "ping")
        let count = try await TestHTTPClient.request("POST", port: bound, path: "/parties/counter/cli")
        #expect(count.text == #"{"count":1}"#)

        process.signalGroup(SIGTERM)
        #expect(try await alice.waitForClose().code == 1001)
        #expect(try await bob.waitForClose().code == 1001)
        try await waitUntil(timeout: .seconds(15), "the server exited") { process.hasFinished }
        let status = process.reap()
        #expect(status == 0, "exit status \(status); output:\n\(process.outputTail())")
    }

    @Test("--hibernate-after must be a positive number of seconds; anything else exits with a message naming the option")
    func hibernateAfterIsValidated() async throws {
        for value in ["0", "-1", "soon"] {
            let process = try ChildProcess.spawn(executable, arguments: ["--port", "0", "--hibernate-after", value])
            try await waitUntil(timeout: .seconds(15), "partyserver refused --hibernate-after \(value)") { process.hasFinished }
            let status = process.reap()
            #expect(status != 0)
            #expect(process.outputText.contains("--hibernate-after"), "\(process.outputText)")
        }
    }
}
#endif
