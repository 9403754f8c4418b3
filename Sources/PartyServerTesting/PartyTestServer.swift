import Foundation
import Logging
import PartyServer
import ServiceLifecycle

/// A live PartyServer on 127.0.0.1 with a free port, for testing your own server types.
///
/// ```swift
/// try await PartyTestServer.withServer({ try $0.register(Chat.self) }) { server in
///     let alice = try await server.webSocket("/parties/chat/lobby")
///     let bob = try await server.webSocket("/parties/chat/lobby")
///     try await alice.send(text: "hi")
///     #expect(try await bob.nextText() == "hi")
/// }
/// ```
public final class PartyTestServer: Sendable {
    /// The running application.
    public let application: PartyApplication
    /// The port the server listens on.
    public let port: Int
    /// The data directory the server uses.
    public let dataDirectory: String

    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let ownsDataDirectory: Bool

    private init(application: PartyApplication, port: Int, dataDirectory: String, ownsDataDirectory: Bool, group: ServiceGroup, task: Task<Void, any Error>) {
        self.application = application
        self.port = port
        self.dataDirectory = dataDirectory
        self.ownsDataDirectory = ownsDataDirectory
        self.group = group
        self.task = task
    }

    /// Starts a server on 127.0.0.1 with `configuration` (its host is replaced, and its port by
    /// `port`; its data directory too unless `keepDataDirectory` is set), after `register`
    /// registers server types.
    ///
    /// `port` is 0 by default (a free port). Pass the ``port`` of a server that was shut down to
    /// start its successor on the same address, e.g. to test that clients reconnect.
    public static func start(
        configuration: PartyConfiguration = PartyConfiguration(),
        keepDataDirectory: Bool = false,
        port: Int = 0,
        logger: Logger = Logger(label: "partyserver.test"),
        register: (PartyApplication) throws -> Void
    ) async throws -> PartyTestServer {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = port
        if !keepDataDirectory {
            configuration.dataDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("partyserver-test-\(UUID().uuidString)").path
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = PartyApplication(configuration: configuration, logger: logger) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        try register(application)
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw TestWebSocketError.timeout
        }
        return PartyTestServer(
            application: application, port: port, dataDirectory: configuration.dataDirectory,
            ownsDataDirectory: !keepDataDirectory, group: group, task: task
        )
    }

    /// Starts a server, runs `body` with it, then shuts it down gracefully.
    public static func withServer<T: Sendable>(
        configuration: PartyConfiguration = PartyConfiguration(),
        _ register: (PartyApplication) throws -> Void,
        _ body: (PartyTestServer) async throws -> T
    ) async throws -> T {
        try await start(configuration: configuration, register: register).shuttingDown(after: body)
    }

    /// Runs `body` with this server, then shuts it down gracefully (also when `body` throws).
    public func shuttingDown<T: Sendable>(after body: (PartyTestServer) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            try await shutdown()
            return result
        } catch {
            try? await shutdown()
            throw error
        }
    }

    /// Shuts the server down gracefully (WebSockets close with 1001) and waits until it stopped;
    /// removes the temporary data directory it created (not one given with `keepDataDirectory`).
    public func shutdown() async throws {
        await group.triggerGracefulShutdown()
        defer {
            if ownsDataDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
        }
        try await task.value
    }

    /// Opens a WebSocket to `path` (with query) on this server.
    public func webSocket(_ path: String, headers: [(String, String)] = [], receiveBufferSize: Int? = nil) async throws -> TestWebSocket {
        try await TestWebSocket.connect(port: port, path: path, headers: headers, receiveBufferSize: receiveBufferSize)
    }

    /// Sends an HTTP request to `path` on this server.
    public func request(
        _ method: String = "GET",
        _ path: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> TestHTTPResponse {
        try await TestHTTPClient.request(method, port: port, path: path, headers: headers, body: body.map { Array($0.utf8) })
    }
}
