import Foundation
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// The real `partyserver` binary, killed with SIGKILL mid-stream.
@Suite("Crash safety (kill -9)")
struct CrashTests {
    /// Starts the binary on a free port with `dataDirectory`; returns the process and its port.
    private func startServer(dataDirectory: String) async throws -> (ChildProcess, Int) {
        try await startPartyServerProcess(["--data-dir", dataDirectory])
    }

    private func kill(_ process: ChildProcess) {
        process.signalGroup(SIGKILL)
        _ = process.reap()
    }

    @Test("kill -9 during a stream of acknowledged incs loses none of them", arguments: 1...3)
    func killDuringIncrements(run: Int) async throws {
        #expect(FileManager.default.isExecutableFile(atPath: partyserverExecutable), "build it with `swift build --build-tests`")
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("crash")
        var (process, port) = try await startServer(dataDirectory: directory)
        var highestAcknowledged = 0
        var sent = 0
        do {
            let clients = [
                try await TestWebSocket.connect(port: port, path: "/parties/counter/\(room)"),
                try await TestWebSocket.connect(port: port, path: "/parties/counter/\(room)"),
            ]
            for client in clients { _ = try await client.nextText() }
            // Each client keeps several incs in flight; the process is killed while they are.
            let killAfter = 40 * run + Int.random(in: 0..<40)
            while highestAcknowledged < killAfter {
                for client in clients {
                    try await client.send(text: "inc")
                    sent += 1
                }
                for client in clients {
                    let text = try await client.nextText()
                    if let count = Self.count(in: text) { highestAcknowledged = max(highestAcknowledged, count) }
                }
            }
            for client in clients {
                for _ in 0..<5 {
                    try await client.send(text: "inc")
                    sent += 1
                }
            }
            kill(process)
            for client in clients {
                while case .text(let text) = try await client.next() {
                    if let count = Self.count(in: text) { highestAcknowledged = max(highestAcknowledged, count) }
                }
            }
        } catch {
            kill(process)
            throw error
        }

        (process, port) = try await startServer(dataDirectory: directory)
        defer { kill(process) }
        let response = try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(room)")
        let recovered = try #require(Self.count(in: response.text))
        #expect(recovered >= highestAcknowledged, "acknowledged \(highestAcknowledged), recovered \(recovered)")
        #expect(recovered <= sent)
    }

    @Test("an alarm set before kill -9 fires after the restart")
    func alarmSurvivesKill() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("reset")
        var (process, port) = try await startServer(dataDirectory: directory)
        do {
            let client = try await TestWebSocket.connect(port: port, path: "/parties/counter/\(room)")
            #expect(try await client.nextText() == #"{"count":0}"#)
            try await client.send(text: "inc")
            #expect(try await client.nextText() == #"{"count":1}"#)
            try await client.send(text: "reset-in:1500")
            #expect(try await client.nextText().hasPrefix(#"{"resetAt":"#))
            kill(process)
        } catch {
            kill(process)
            throw error
        }
        (process, port) = try await startServer(dataDirectory: directory)
        defer { kill(process) }
        try await waitUntil(timeout: .seconds(15), "the reset alarm fired after the restart") {
            try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(room)").text == #"{"count":0}"#
        }
    }

    private static func count(in text: String) -> Int? {
        guard text.hasPrefix(#"{"count":"#), text.hasSuffix("}") else { return nil }
        return Int(text.dropFirst(9).dropLast())
    }
}
#endif
