import Foundation
import NIOSSL
import PartyClient
import PartyRooms
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

/// `partyserver token create` and `partyserver serve` with token keys and TLS, as real processes.
@Suite("partyserver token and TLS options")
struct TokenCommandTests {
    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
    }

    private static let secret = "a-secret-for-the-command-line-tests-0123456789"

    /// Runs `partyserver ARGUMENTS` to completion; returns its exit status and output.
    private func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let process = try ChildProcess.spawn(executable, arguments: arguments, environment: environment)
        try await waitUntil(timeout: .seconds(30), "partyserver \(arguments.prefix(2).joined(separator: " ")) exited") { process.hasFinished }
        let status = process.reap()
        return (status, process.outputText)
    }

    @Test("token create signs a token with PARTYSERVER_JWT_SECRET that a server with the same secret accepts as that user")
    func tokenCreate() async throws {
        let created = try await run(
            ["token", "create", "--sub", "alice", "--ttl", "60", "--name", "Alice", "--role", "admin", "--claim", "team=blue"],
            environment: ["PARTYSERVER_JWT_SECRET": Self.secret]
        )
        #expect(created.status == 0, "\(created.output)")
        let token = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let payload = try #require(HandMadeToken.payload(of: token), "not a JWT: \(created.output)")
        #expect(payload["sub"] as? String == "alice")
        let exp = try #require(payload["exp"] as? Int)
        let iat = try #require(payload["iat"] as? Int)
        #expect(exp - iat == 60)

        var configuration = PartyConfiguration()
        configuration.jwt = JWTAuthentication(keys: [try .hs256(secret: Data(Self.secret.utf8))])
        try await PartyTestServer.withServer(configuration: configuration, { try $0.register(WhoAmI.self) }) { (server: PartyTestServer) async throws in
            let room = uniqueRoom("cli-token")
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(token)").text == "alice|Alice|admin|team=blue")
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)").status == 401)
        }
    }

    @Test("token create without a key, with a short secret or a bad --ttl fails with a message naming the problem")
    func tokenCreateErrors() async throws {
        let noKey = try await run(["token", "create", "--sub", "alice"], environment: ["PARTYSERVER_JWT_SECRET": ""])
        #expect(noKey.status != 0)
        #expect(noKey.output.contains("no signing key"), "\(noKey.output)")
        let short = try await run(["token", "create", "--sub", "alice"], environment: ["PARTYSERVER_JWT_SECRET": "short"])
        #expect(short.status != 0)
        #expect(short.output.contains("at least 32 bytes"), "\(short.output)")
        let ttl = try await run(["token", "create", "--sub", "alice", "--ttl", "0"], environment: ["PARTYSERVER_JWT_SECRET": Self.secret])
        #expect(ttl.status != 0)
        #expect(ttl.output.contains("--ttl"), "\(ttl.output)")
        let half = try await run(["serve", "--port", "0", "--tls-cert", "/nonexistent.pem"])
        #expect(half.status != 0)
        #expect(half.output.contains("--tls-cert and --tls-key go together"), "\(half.output)")
    }

    @Test("serve --tls-cert --tls-key --jwt-secret-file: rooms answer over wss and https, only with a token")
    func serveWithTLSAndTokens() async throws {
        let certificate = try SelfSignedCertificate.make()
        defer { certificate.remove() }
        let secretFile = certificate.directory + "/jwt-secret"
        try (Self.secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let dataDirectory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let port = Mutex<Int?>(nil)
        let process = try ChildProcess.spawn(
            executable,
            arguments: [
                "--port", "0", "--data-dir", dataDirectory, "--tls-cert", certificate.certificatePath,
                "--tls-key", certificate.privateKeyPath, "--jwt-secret-file", secretFile,
            ],
            environment: ["PARTYSERVER_JWT_SECRET": ""]
        ) { line in
            guard let range = line.range(of: "listening on https://127.0.0.1:") else { return }
            port.withLock { $0 = Int(line[range.upperBound...].prefix { $0.isNumber }) }
        }
        defer {
            process.signalGroup(SIGKILL)
            process.reap()
        }
        try await waitUntil(timeout: .seconds(30), "the server logged its https URL") { port.withLock { $0 } != nil || process.hasFinished }
        let bound = try #require(port.withLock { $0 }, "\(process.outputTail())")

        let token = try await JWTTokenIssuer(key: .hs256(secret: Data(Self.secret.utf8))).token(subject: "erin", expiresIn: .seconds(600))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)))
        var options = PartySocketOptions(host: "127.0.0.1:\(bound)", room: uniqueRoom("cli-tls"), party: "counter", query: ["token": token])
        options.scheme = .wss
        options.tlsConfiguration = tls
        options.connectionTimeout = .seconds(30)
        let running = try RunningSocket.start(options)
        try await running.waitOpen()
        running.socket.send("inc")
        try await waitUntil("the count came back over wss") { running.texts.contains(#"{"count":1}"#) }
        try await running.close()

        var anonymous = options
        anonymous.query = [:]
        let refused = try await PartySocket(anonymous).fetch()
        #expect(refused.status == 401)
        #expect(refused.text.contains("a token is required"))
        #expect(!process.outputText.contains(token), "the token never reaches the log")
    }
}
#endif
