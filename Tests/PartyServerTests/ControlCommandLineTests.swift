import Crypto
import Foundation
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

@Suite("Control: partyserver serve --api-key")
struct ControlCommandLineTests {
    /// The `partyserver` executable built beside the test bundle.
    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
    }

    @Test("the key comes from --api-key, else PARTYSERVER_API_KEY, else the API is off; it never appears in the logs")
    func apiKeySources() async throws {
        let fromEnvironment = "env-key-\(UUID().uuidString)"
        let fromFlag = "flag-key-\(UUID().uuidString)"
        try await serve(arguments: [], environment: ["PARTYSERVER_API_KEY": fromEnvironment]) { port in
            #expect(try await rooms(port, key: fromEnvironment) == 200)
            #expect(try await rooms(port, key: "wrong") == 401)
            let created = try await TestHTTPClient.request(
                "POST", port: port, path: "/_party/connect", headers: [("Authorization", "Bearer \(fromEnvironment)")],
                body: #"{"server":"counter","key":"cli","spawn":{}}"#
            )
            #expect(created.status == 200)
            #expect(created.text.contains(#""url":"ws://127.0.0.1:\#(port)/parties/counter/"#))
        } logs: { output in
            #expect(!output.contains(fromEnvironment))
        }
        try await serve(arguments: ["--api-key", fromFlag], environment: ["PARTYSERVER_API_KEY": fromEnvironment]) { port in
            let withFlag = try await rooms(port, key: fromFlag)
            #expect(withFlag == 200)
            #expect(try await rooms(port, key: fromEnvironment) == 401)
        } logs: { output in
            #expect(!output.contains(fromFlag) && !output.contains(fromEnvironment))
        }
        try await serve(arguments: [], environment: ["PARTYSERVER_API_KEY": ""]) { port in
            let off = try await rooms(port, key: "")
            #expect(off == 404)
        } logs: { _ in }
    }

    @Test("--default-server lets a Jamsocket connect body name no server type; --secret-env values never reach the logs")
    func defaultServer() async throws {
        let secret = "secret-\(UUID().uuidString)"
        try await serve(
            arguments: ["--api-key", "cli", "--default-server", "counter", "--secret-env", "ROOM_SECRET", "--env", "region=eu", "--trusted-proxy", "10.0.0.0/8"],
            environment: ["ROOM_SECRET": secret]
        ) { port in
            let created = try await TestHTTPClient.request("POST", port: port, path: "/_party/connect", headers: [("Authorization", "Bearer cli")], body: "{}")
            #expect(created.status == 200)
            #expect(created.text.contains(#""backend_id":"counter/"#))
        } logs: { output in
            #expect(!output.contains(secret))
        }
    }

    @Test("--token-key-file signs connection tokens with that key instead of a key file in the data directory; a key under 32 bytes stops serve with an error")
    func tokenKeyFile() async throws {
        let directory = temporaryDataDirectory()
        let keyFile = directory + ".key"
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: keyFile)
        }
        let key = String(repeating: "k", count: 48)
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        let (process, port) = try await startPartyServerProcess(["--data-dir", directory, "--api-key", "cli", "--token-key-file", keyFile])
        do {
            let created = try await TestHTTPClient.request(
                "POST", port: port, path: "/_party/connect", headers: [("Authorization", "Bearer cli")],
                body: #"{"server":"counter","spawn":{},"user":"alice"}"#
            )
            let token = try #require(JSONValue.parse(created.text)["token"]?.stringValue)
            let parts = token.split(separator: ".").map(String.init)
            let signature = HMAC<SHA256>.authenticationCode(for: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: Data(key.utf8)))
            #expect(HandMadeToken.base64URL(Data(signature)) == parts[2], "the token is signed with the file's key, without its newline")
            #expect(!FileManager.default.fileExists(atPath: directory + "/control-token.key"))
            try await stop(process, with: SIGTERM)
        } catch {
            try? await stop(process, with: SIGKILL)
            throw error
        }

        try Data("short\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        let refused = try ChildProcess.spawn(executable, arguments: ["--port", "0", "--data-dir", directory, "--token-key-file", keyFile])
        try await waitUntil(timeout: .seconds(30), "serve exited") { refused.hasFinished }
        #expect(refused.reapExitCode() != 0)
        #expect(refused.outputText.contains("control.tokenSigningKey is 5 bytes; use at least 32 random bytes"), "\(refused.outputTail())")
    }

    /// The status of `GET /_party/rooms` with `key` as the bearer token.
    private func rooms(_ port: Int, key: String) async throws -> Int {
        try await TestHTTPClient.request("GET", port: port, path: "/_party/rooms", headers: [("Authorization", "Bearer \(key)")]).status
    }

    /// Runs `partyserver` with `arguments` and `environment` on a free port, calls `body` with the
    /// port, stops it with SIGTERM and hands its output to `logs`.
    private func serve(
        arguments: [String], environment: [String: String], _ body: (Int) async throws -> Void, logs: (String) -> Void
    ) async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("partyserver-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let port = Mutex<Int?>(nil)
        let process = try ChildProcess.spawn(
            executable, arguments: ["--port", "0", "--data-dir", dataDirectory, "--log-level", "debug"] + arguments, environment: environment
        ) { line in
            guard let range = line.range(of: "listening on http://127.0.0.1:") else { return }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            port.withLock { $0 = Int(digits) }
        }
        defer {
            process.signalGroup(SIGKILL)
            process.reap()
        }
        try await waitUntil(timeout: .seconds(30), "the server logged its URL") { port.withLock { $0 } != nil }
        try await body(try #require(port.withLock { $0 }))
        process.signalGroup(SIGTERM)
        try await waitUntil(timeout: .seconds(15), "the server exited") { process.hasFinished }
        #expect(process.reap() == 0, "output:\n\(process.outputTail())")
        logs(process.outputText)
    }
}
#endif
