import ArgumentParser
import Foundation
import Logging
import PartyRooms
import PartyServer

/// Serves the ready-made rooms (`chat`, `counter`, `jobs`, `echo`, `tally`) until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ready-made rooms (chat, counter, jobs, echo, tally) until SIGTERM or SIGINT.",
        discussion: """
            Rooms are served at /PREFIX/SERVER/NAME, for example ws://127.0.0.1:1999/parties/chat/lobby \
            or http://127.0.0.1:1999/parties/counter/lobby. Logs go to standard error. \
            SIGTERM and SIGINT close every connection gracefully and exit with status 0.
            """
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind (0...65535); 0 picks a free port.")
    var port = 1999

    @Option(help: ArgumentHelp("Directory for durable room data; created if missing.", valueName: "path"))
    var dataDir = ".partyserver"

    @Option(help: "Lowest level of log messages to print.")
    var logLevel: LogLevelOption = .info

    @Option(help: ArgumentHelp("First path segment of room URLs.", valueName: "path"))
    var prefix = "parties"

    @Option(
        name: .customLong("cors"),
        help: ArgumentHelp(
            "Allow cross-origin requests from this origin (scheme://host[:port]); repeat for more, or '*' for any. Without it no CORS headers are sent.",
            valueName: "origin"
        )
    )
    var corsOrigins: [String] = []

    @Option(help: ArgumentHelp("PEM certificate chain for https/wss (with --tls-key).", valueName: "path"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "path"))
    var tlsKey: String?

    @OptionGroup(title: "Token authentication (any key makes every room require a valid token)")
    var tokens: TokenKeyOptions

    @Option(help: ArgumentHelp("Idle seconds before a ready-made room hibernates (counter) or, with no connections, is evicted (chat); fractions allowed.", valueName: "seconds"))
    var hibernateAfter: Double = 10

    @Option(
        help: ArgumentHelp(
            "Key of the session control API and inspector under /_party/ (sent as Authorization: Bearer KEY). Without it, PARTYSERVER_API_KEY is used; without either, the API is off.",
            valueName: "key"
        )
    )
    var apiKey: String?

    @Option(
        help: ArgumentHelp(
            "File holding the key that signs connection tokens (at least 32 bytes; a trailing newline is ignored). Without it, DATA-DIR/control-token.key is used, created with a random key.",
            valueName: "path"
        )
    )
    var tokenKeyFile: String?

    @Option(
        help: ArgumentHelp(
            "File holding an earlier token key that still verifies tokens (after a rotation); repeat for more.",
            valueName: "path"
        )
    )
    var previousTokenKeyFile: [String] = []

    @Option(
        help: ArgumentHelp(
            "Server type that a control API connect request without \"server\" uses (as Jamsocket requests, which name none), e.g. counter.",
            valueName: "server"
        )
    )
    var defaultServer: String?

    @Option(help: ArgumentHelp("Address or CIDR range of a reverse proxy whose Forwarded / X-Forwarded-For headers name the client; repeat for more.", valueName: "address"))
    var trustedProxy: [String] = []

    @Option(help: ArgumentHelp("A value every room reads in room.env; repeat for more.", valueName: "name=value"))
    var env: [String] = []

    @Option(
        help: ArgumentHelp(
            "The name of an environment variable of this process whose value every room reads in room.env as a secret (never printed or logged); repeat for more.",
            valueName: "name"
        )
    )
    var secretEnv: [String] = []

    @OptionGroup(title: "Limits")
    var limits: LimitOptions

    @OptionGroup(title: "Several nodes on one PostgreSQL database")
    var cluster: ClusterOptions

    /// Rejects option values the server cannot use, with a message naming the option.
    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(port)")
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw ValidationError("--host must be a host name or IP address, got \(host.debugDescription)")
        }
        guard !dataDir.isEmpty else {
            throw ValidationError("--data-dir must not be empty")
        }
        guard hibernateAfter > 0, hibernateAfter <= 86_400 * 365 else {
            throw ValidationError("--hibernate-after must be a number of seconds greater than 0 (at most one year), got \(hibernateAfter)")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: pass both or neither")
        }
        _ = try tokens.keys()
        try Self.validatePrefix(prefix)
        _ = try Self.cors(from: corsOrigins)
        if let apiKey, apiKey.isEmpty {
            throw ValidationError("--api-key must not be empty; leave it out to turn the control API off")
        }
        _ = try tokenKeys()
        _ = try roomEnvironment(ProcessInfo.processInfo.environment)
        do {
            try PartyConfiguration(trustedProxies: trustedProxy).validateTrustedProxies()
        } catch {
            throw ValidationError("--trusted-proxy: \(error)")
        }
        if let defaultServer, !ReadyMadeRooms.names.contains(defaultServer.lowercased()) {
            throw ValidationError("--default-server must name a ready-made room (\(ReadyMadeRooms.names.joined(separator: ", "))), got \(defaultServer.debugDescription)")
        }
    }

    /// `--env` values and `--secret-env` secrets (read from `environment`).
    func roomEnvironment(_ environment: [String: String]) throws -> (env: [String: String], secrets: [String: String]) {
        var values: [String: String] = [:]
        for pair in env {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--env takes NAME=VALUE, got \(pair.debugDescription)")
            }
            values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        var secrets: [String: String] = [:]
        for name in secretEnv {
            guard let value = environment[name] else {
                throw ValidationError("--secret-env \(name): this process has no environment variable \(name.debugDescription)")
            }
            secrets[name] = value
        }
        return (values, secrets)
    }

    /// The connection token keys from `--token-key-file` and `--previous-token-key-file`.
    func tokenKeys() throws -> (current: String?, previous: [String]) {
        let current = try tokenKeyFile.map { try Self.readKey($0, option: "--token-key-file") }
        let previous = try previousTokenKeyFile.map { try Self.readKey($0, option: "--previous-token-key-file") }
        return (current, previous)
    }

    /// A key file's text without its trailing newline.
    private static func readKey(_ path: String, option: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(option): cannot read \(path.debugDescription)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.last, last.isNewline { text.removeLast() }
        return text
    }

    /// The control API key: `--api-key`, else a non-empty `PARTYSERVER_API_KEY`.
    static func apiKey(option: String?, environment: [String: String]) -> String? {
        if let option { return option }
        guard let value = environment["PARTYSERVER_API_KEY"], !value.isEmpty else { return nil }
        return value
    }

    /// Sets up logging, registers the ready-made rooms and serves until SIGTERM or SIGINT.
    func run() async throws {
        let level = logLevel.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = PartyConfiguration(
            host: host,
            port: port,
            dataDirectory: dataDir,
            prefix: prefix,
            cors: try Self.cors(from: corsOrigins),
            control: ControlConfiguration(apiKey: Self.apiKey(option: apiKey, environment: ProcessInfo.processInfo.environment))
        )
        let tokenKeys = try tokenKeys()
        configuration.control.tokenSigningKey = tokenKeys.current
        configuration.control.previousTokenSigningKeys = tokenKeys.previous
        configuration.control.defaultServer = defaultServer?.lowercased()
        let environment = try roomEnvironment(ProcessInfo.processInfo.environment)
        configuration.env = environment.env
        configuration.secrets = RoomSecrets(environment.secrets)
        configuration.trustedProxies = trustedProxy
        if let tlsCert, let tlsKey {
            configuration.tls = TLSSettings(certificateChainPath: tlsCert, privateKeyPath: tlsKey)
        }
        let keys = try tokens.keys()
        if !keys.isEmpty {
            configuration.jwt = JWTAuthentication(keys: keys, issuer: tokens.jwtIssuer, audience: tokens.jwtAudience)
        }
        limits.apply(to: &configuration)
        configuration.cluster = try cluster.configuration(environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "partyserver")
        if configuration.control.isHTTPEnabled {
            logger.notice("session control API enabled", metadata: ["path": "/\(configuration.control.prefix)/"])
        }
        let app = PartyApplication(configuration: configuration, logger: logger)
        try ReadyMadeRooms.register(in: app, hibernateAfter: .milliseconds(Int64((hibernateAfter * 1000).rounded())))
        do {
            try await app.runService()
        } catch {
            throw ServeError(address: "\(host):\(port)", underlying: error)
        }
    }

    /// Checks that `prefix` is one or more URL path segments without surrounding slashes.
    static func validatePrefix(_ prefix: String) throws(ValidationError) {
        let problem = "--prefix must be one or more path segments of letters, digits, '-', '_', '.' or '~' separated by '/', without a leading or trailing '/'"
        let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            guard !segment.isEmpty, segment != ".", segment != ".." else {
                throw ValidationError("\(problem); got \(prefix.debugDescription)")
            }
            let valid = segment.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.~".unicodeScalars.contains(scalar))
            }
            guard valid else { throw ValidationError("\(problem); got \(prefix.debugDescription)") }
        }
    }

    /// The CORS policy for the `--cors` values: `nil` for none, any origin for `*`, else the list.
    static func cors(from origins: [String]) throws(ValidationError) -> CORSConfiguration? {
        guard !origins.isEmpty else { return nil }
        if origins.contains("*") {
            guard origins.count == 1 else {
                throw ValidationError("--cors '*' allows every origin and cannot be combined with other origins")
            }
            return .allowAll
        }
        for origin in origins where !isOrigin(origin) {
            throw ValidationError(
                "--cors \(origin.debugDescription) is not an origin; use scheme://host[:port] with no path or trailing '/', e.g. https://example.com, or '*'"
            )
        }
        return CORSConfiguration(origins: .list(origins))
    }

    /// Whether `text` looks like a browser `Origin` value: `scheme://host[:port]`.
    private static func isOrigin(_ text: String) -> Bool {
        guard let separator = text.firstRange(of: "://") else { return false }
        let scheme = text[..<separator.lowerBound]
        let authority = text[separator.upperBound...]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        let schemeValid = scheme.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+-.".unicodeScalars.contains(scalar))
        }
        let authorityValid = !authority.isEmpty && !authority.contains { "/?#@".contains($0) || $0.isWhitespace }
        return schemeValid && authorityValid
    }
}
