import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

@Suite("Workers")
struct WorkerTests {
    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
    }

    /// Runs `partyserver worker …` to completion; returns its exit status and output.
    private func worker(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try ChildProcess.spawn(executable, arguments: ["worker"] + arguments)
        try await waitUntil(timeout: .seconds(30), "partyserver worker \(arguments.first ?? "") exited") { process.hasFinished }
        let status = process.reap()
        return (status, process.outputText)
    }

    private static func credentials(in output: String) -> WorkerCredentials? {
        var environment: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        return WorkerCredentials(environment: environment)
    }

    private func startServer(_ directory: String) async throws -> PartyTestServer {
        try await PartyTestServer.start(configuration: PartyConfiguration(dataDirectory: directory), keepDataDirectory: true) { app in
            try app.register(Probe.self)
            try ReadyMadeRooms.register(in: app)
        }
    }

    @Test("worker create prints credentials stored only as a hash; the server authenticates them before any room wakes; wrong and revoked ones get 401")
    func createAuthenticateRevoke() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let created = try await worker(["create", "--name", "indexer", "--data-dir", directory])
        #expect(created.status == 0, "\(created.output)")
        let credentials = try #require(Self.credentials(in: created.output), "\(created.output)")
        #expect(credentials.id.hasPrefix("wk_"))
        #expect(credentials.secret.count == 64)
        let database = try String(contentsOfFile: directory + "/rooms.sqlite", encoding: .isoLatin1)
            + ((try? String(contentsOfFile: directory + "/rooms.sqlite-wal", encoding: .isoLatin1)) ?? "")
        #expect(!database.contains(credentials.secret), "the secret itself is never stored")
        let listed = try await worker(["list", "--data-dir", directory])
        #expect(listed.output.contains("\(credentials.id)\tindexer\t"))
        #expect(listed.output.contains("active"))

        let server = try await startServer(directory)
        do {
            let room = uniqueRoom("worker")
            let socket = try await server.webSocket("/parties/probe/\(room)", headers: [("Authorization", credentials.authorization)])
            _ = try await socket.nextText()
            #expect(Recorder.shared.events(room).contains { $0.contains("user=\(credentials.id)") })

            let refused = uniqueRoom("refused")
            let wrong = WorkerCredentials(id: credentials.id, secret: String(repeating: "0", count: 64))
            #expect(try await upgradeStatus(server, "/parties/probe/\(refused)", headers: [("Authorization", wrong.authorization)]) == 401)
            #expect(try await server.request("GET", "/parties/probe/\(refused)", headers: [("Authorization", wrong.authorization)]).status == 401)
            #expect(Probe.initCount(refused) == 0)
            #expect(Recorder.shared.events(refused).isEmpty, "no before-hook and no room ran")

            let revoked = try await worker(["revoke", credentials.id, "--data-dir", directory])
            #expect(revoked.status == 0, "\(revoked.output)")
            #expect(try await upgradeStatus(server, "/parties/probe/\(uniqueRoom("late"))", headers: [("Authorization", credentials.authorization)]) == 401)
            #expect(try await worker(["revoke", credentials.id, "--data-dir", directory]).status != 0)
            #expect(try await worker(["create", "--name", "", "--data-dir", directory]).status != 0)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test("the jobs room: a client drafts and readies a job, only a worker finishes it, everyone sees each step, nothing moves back, and jobs survive a restart")
    func jobStateMachine() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let accounts = try WorkerAccounts(dataDirectory: directory)
        let credentials = try await accounts.create(name: "builder")
        await accounts.close()
        let room = uniqueRoom("jobs")
        var server = try await startServer(directory)
        do {
            let client = try await server.webSocket("/parties/jobs/\(room)?_pk=alice")
            let worker = try await server.webSocket("/parties/jobs/\(room)?_pk=w1", headers: [("Authorization", credentials.authorization)])
            #expect(try await client.nextText() == #"{"jobs":[],"type":"jobs"}"#)
            #expect(try await worker.nextText() == #"{"jobs":[],"type":"jobs"}"#)

            try await client.send(text: #"{"type":"create","id":"j1","input":"hello"}"#)
            let draft = #"{"job":{"id":"j1","input":"hello","state":"draft","updatedBy":"alice"},"type":"job"}"#
            #expect(try await client.nextText() == draft)
            #expect(try await worker.nextText() == draft)
            try await client.send(text: #"{"type":"move","id":"j1","to":"success","result":"cheat"}"#)
            #expect(try await client.nextText().contains("cannot move job j1 from draft to success"))
            try await client.send(text: #"{"type":"move","id":"j1","to":"ready"}"#)
            let ready = #"{"job":{"id":"j1","input":"hello","state":"ready","updatedBy":"alice"},"type":"job"}"#
            #expect(try await client.nextText() == ready)
            #expect(try await worker.nextText() == ready)
            try await client.send(text: #"{"type":"move","id":"j1","to":"success","result":"cheat"}"#)
            #expect(try await client.nextText().contains("only a worker may move a job to success"))

            try await worker.send(text: #"{"type":"move","id":"j1","to":"running"}"#)
            let running = #"{"job":{"id":"j1","input":"hello","state":"running","updatedBy":"\#(credentials.id)"},"type":"job"}"#
            #expect(try await client.nextText() == running)
            #expect(try await worker.nextText() == running)
            try await worker.send(text: #"{"type":"move","id":"j1","to":"success","result":"HELLO"}"#)
            let success = #"{"job":{"id":"j1","input":"hello","result":"HELLO","state":"success","updatedBy":"\#(credentials.id)"},"type":"job"}"#
            #expect(try await client.nextText() == success)
            #expect(try await worker.nextText() == success)
            try await worker.send(text: #"{"type":"move","id":"j1","to":"ready"}"#)
            #expect(try await worker.nextText().contains("cannot move job j1 from success to ready"))
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
        server = try await startServer(directory)
        let jobs = try await server.request("GET", "/parties/jobs/\(room)").text
        try await server.shutdown()
        #expect(jobs == #"{"jobs":[{"id":"j1","input":"hello","result":"HELLO","state":"success","updatedBy":"\#(credentials.id)"}]}"#)
    }
}
#endif
