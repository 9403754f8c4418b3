import Foundation
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

/// The job pattern with the server, a worker and a client as three separate processes.
@Suite("Job worker example")
struct JobExampleTests {
    private func binary(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    private func finish(_ process: ChildProcess, _ what: String) async throws -> Int32? {
        try await waitUntil(timeout: .seconds(60), "\(what) exited; output:\n\(process.outputTail())") { process.hasFinished }
        return process.reapExitCode()
    }

    @Test("a client's job is finished by a worker process: the client sees draft, ready, running and success, and a bad job ends in failure")
    func jobEndToEnd() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let accounts = try WorkerAccounts(dataDirectory: directory)
        let credentials = try await accounts.create(name: "example-worker")
        await accounts.close()

        let port = Mutex<Int?>(nil)
        let server = try ChildProcess.spawn(binary("partyserver"), arguments: ["--port", "0", "--data-dir", directory, "--log-level", "notice"]) { line in
            guard let range = line.range(of: "listening on http://127.0.0.1:") else { return }
            port.withLock { $0 = Int(line[range.upperBound...].prefix { $0.isNumber }) }
        }
        defer {
            server.signalGroup(SIGKILL)
            _ = server.reap()
        }
        try await waitUntil(timeout: .seconds(30), "the server logged its URL") { port.withLock { $0 } != nil }
        let host = "127.0.0.1:\(try #require(port.withLock { $0 }))"
        let room = uniqueRoom("jobs")

        let worker = try ChildProcess.spawn(
            binary("job-worker"), arguments: ["work", "--host", host, "--room", room, "--jobs", "2"],
            environment: [WorkerCredentials.idVariable: credentials.id, WorkerCredentials.secretVariable: credentials.secret]
        )
        defer {
            worker.signalGroup(SIGKILL)
            _ = worker.reap()
        }
        let client = try ChildProcess.spawn(binary("job-worker"), arguments: ["client", "--host", host, "--room", room, "--id", "greeting", "--input", "hello"])
        #expect(try await finish(client, "the client") == 0, "\(client.outputText)")
        let lines = client.outputText.split(separator: "\n").map(String.init)
        #expect(lines == [
            "state: draft by \(lines.first.map { String($0.dropFirst("state: draft by ".count)) } ?? "?")",
            "state: ready by \(lines.first.map { String($0.dropFirst("state: draft by ".count)) } ?? "?")",
            "state: running by \(credentials.id)",
            "state: success by \(credentials.id)",
            "success: HELLO",
        ], "\(client.outputText)")

        let failing = try ChildProcess.spawn(binary("job-worker"), arguments: ["client", "--host", host, "--room", room, "--id", "empty", "--input", ""])
        #expect(try await finish(failing, "the second client") == 1, "\(failing.outputText)")
        #expect(failing.outputText.contains("failure: empty input: nothing to do"))
        #expect(try await finish(worker, "the worker") == 0, "\(worker.outputText)")
        #expect(worker.outputText.contains("finished greeting: success"))
        #expect(worker.outputText.contains("finished empty: failure"))

        let stored = try await TestHTTPClient.request("GET", port: port.withLock { $0 }!, path: "/parties/jobs/\(room)")
        #expect(stored.text.contains(#""id":"greeting","input":"hello","result":"HELLO","state":"success""#))
    }
}
#endif
