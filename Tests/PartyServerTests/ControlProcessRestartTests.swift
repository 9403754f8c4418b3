import Foundation
import PartyServerTesting
import Testing

#if os(Linux)
import Glibc

/// The control plane across restarts of the real `partyserver` binary: SIGTERM, and `kill -9`.
@Suite("Control: restarts of the partyserver process")
struct ControlProcessRestartTests {
    private let apiKey = "process-key-\(UUID().uuidString)"

    private func start(_ directory: String) async throws -> (ChildProcess, Int) {
        try await startPartyServerProcess(["--api-key", apiKey, "--data-dir", directory])
    }

    /// A control API call on `port`.
    private func control(_ port: Int, _ method: String, _ path: String, body: String? = nil) async throws -> TestHTTPResponse {
        let headers = [("Authorization", "Bearer \(apiKey)")]
        guard let body else { return try await TestHTTPClient.request(method, port: port, path: "/_party\(path)", headers: headers) }
        return try await TestHTTPClient.request(method, port: port, path: "/_party\(path)", headers: headers, body: body)
    }

    private func status(_ port: Int, _ name: String) async throws -> JSONValue {
        try JSONValue.parse(try await control(port, "GET", "/rooms/counter/\(name)/status").text)
    }

    @Test("after SIGTERM or kill -9 and a restart, a room spawned with a user still requires its token, a token from before works, and connect by key finds it", arguments: [SIGTERM, SIGKILL])
    func spawnedRoomSurvives(signal: Int32) async throws {
        #expect(FileManager.default.isExecutableFile(atPath: partyserverExecutable), "build it with `swift build --build-tests`")
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var (process, port) = try await start(directory)
        let name: String
        let token: String
        do {
            let created = try await control(port, "POST", "/connect", body: #"{"server":"counter","key":"doc","spawn":{"max_idle_seconds":3600},"user":"alice"}"#)
            #expect(created.status == 200, "\(created.text)")
            let answer = try JSONValue.parse(created.text)
            name = try #require(answer["name"]?.stringValue)
            token = try #require(answer["token"]?.stringValue)
            #expect(try await control(port, "GET", "/rooms/counter/\(name)/status?wait=ready").text.contains(#""status":"ready""#))
            #expect(try await TestHTTPClient.request("POST", port: port, path: "/parties/counter/\(name)?token=\(token)").text == #"{"count":1}"#)
            try await stop(process, with: signal)
        } catch {
            try? await stop(process, with: SIGKILL)
            throw error
        }

        (process, port) = try await start(directory)
        defer { process.signalGroup(SIGKILL); process.reap() }
        #expect(try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(name)").status == 401)
        #expect(try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(name)?token=\(token)x").status == 401)
        let found = try JSONValue.parse(try await control(port, "POST", "/connect", body: #"{"server":"counter","key":"doc","spawn":false,"user":"alice"}"#).text)
        #expect(found["spawned"] == false)
        #expect(found["name"]?.stringValue == name)
        let reply = try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(name)?token=\(token)")
        #expect(reply.status == 200)
        #expect(reply.text == #"{"count":1}"#)
        #expect(try await status(port, name)["status"] == "ready")
    }

    @Test("a lifetime limit of a few seconds set before kill -9 ends the room on time after the restart")
    func lifetimeLimitAfterKill() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var (process, port) = try await start(directory)
        let name: String
        let spawned = Date()
        do {
            let created = try await control(port, "POST", "/connect", body: #"{"server":"counter","key":"short","spawn":{"lifetime_limit_seconds":4}}"#)
            #expect(created.status == 200, "\(created.text)")
            name = try #require(JSONValue.parse(created.text)["name"]?.stringValue)
        } catch {
            try? await stop(process, with: SIGKILL)
            throw error
        }
        let answered = Date()
        try await stop(process, with: SIGKILL)

        (process, port) = try await start(directory)
        let restarted = Date()
        defer { process.signalGroup(SIGKILL); process.reap() }
        let ended = try await eventually("the room terminated after the restart", timeout: .seconds(30), interval: .milliseconds(20)) {
            let current = try await status(port, name)
            return current["status"] == "terminated" ? .done(current) : .pending("\(current)")
        }
        #expect(ended["termination_reason"] == "key_expired")
        let time = try #require(controlTime(ended["time"]))
        #expect(time >= spawned.addingTimeInterval(4 - 0.01), "ended at \(time), spawned at \(spawned)")
        // On time: at its deadline, or at once when the restart came after it.
        let due = max(answered.addingTimeInterval(4), restarted)
        #expect(time <= due.addingTimeInterval(2), "ended at \(time), due by \(due)")
        #expect(try await control(port, "POST", "/connect", body: #"{"server":"counter","key":"short","spawn":false}"#).status == 409)
    }

    @Test("a room reached directly that was active at kill -9 reads terminated with lost after the restart")
    func directRoomLost() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let room = uniqueRoom("lost")
        var (process, port) = try await start(directory)
        do {
            #expect(try await TestHTTPClient.request("POST", port: port, path: "/parties/counter/\(room)").text == #"{"count":1}"#)
            try await waitUntil("its ready status is stored") {
                try storedControlRecord(dataDirectory: directory, server: "counter", room: room)?.contains(#""status":"ready""#) == true
            }
        } catch {
            try? await stop(process, with: SIGKILL)
            throw error
        }
        try await stop(process, with: SIGKILL)

        (process, port) = try await start(directory)
        defer { process.signalGroup(SIGKILL); process.reap() }
        let ended = try await status(port, room)
        #expect(ended["status"] == "terminated")
        #expect(ended["termination_reason"] == "lost")
        #expect(try await TestHTTPClient.request("GET", port: port, path: "/parties/counter/\(room)").text == #"{"count":1}"#)
    }
}
#endif
