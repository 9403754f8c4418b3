import Foundation
import Logging

/// A back-end worker: opens ``PartySocket``s to rooms and calls rooms over HTTP with its
/// credentials, so rooms see it as `connection.user` with the `worker` role.
///
/// ```swift
/// let worker = try startWorker(host: "127.0.0.1:1999")     // reads PARTYSERVER_WORKER_ID/_SECRET
/// let socket = try worker.socket(party: "jobs", room: "main")
/// ```
public struct PartyWorker: Sendable {
    /// The server's host (and port).
    public let host: String
    /// The worker's credentials.
    public let credentials: PartyWorkerCredentials
    /// Logger for the sockets it opens.
    public let logger: Logger

    /// A worker for `host` with `credentials`.
    public init(host: String, credentials: PartyWorkerCredentials, logger: Logger = Logger(label: "partyworker")) {
        self.host = host
        self.credentials = credentials
        self.logger = logger
    }

    /// Options for a socket to `room` of `party`, with the worker's `Authorization` header;
    /// change them before passing them to ``socket(_:)``.
    public func options(party: String, room: String) -> PartySocketOptions {
        var options = PartySocketOptions(host: host, room: room, party: party)
        options.headers = .fixed([("Authorization", credentials.authorization)])
        return options
    }

    /// A socket to `room` of `party` authenticated as this worker (call `run()` on it).
    public func socket(party: String, room: String) throws(PartySocketError) -> PartySocket {
        try PartySocket(options(party: party, room: room), logger: logger)
    }

    /// A socket with `options`, adding the worker's `Authorization` header to them.
    public func socket(_ options: PartySocketOptions) throws(PartySocketError) -> PartySocket {
        var options = options
        let authorization = credentials.authorization
        let headers = options.headers
        options.headers = .dynamic { try await headers.resolve().filter { $0.0.lowercased() != "authorization" } + [("Authorization", authorization)] }
        return try PartySocket(options, logger: logger)
    }

    /// An HTTP request to `room` of `party` as this worker.
    public func fetch(
        party: String,
        room: String,
        method: String = "GET",
        path: String? = nil,
        body: Data? = nil
    ) async throws(PartySocketError) -> PartyFetchResponse {
        try await socket(party: party, room: room).fetch(method: method, path: path, body: body)
    }
}

/// Starts a worker for `host` with credentials from the arguments or, when `nil`, from
/// `PARTYSERVER_WORKER_ID` and `PARTYSERVER_WORKER_SECRET` in `environment`.
public func startWorker(
    host: String,
    credentials: PartyWorkerCredentials? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger = Logger(label: "partyworker")
) throws(PartySocketError) -> PartyWorker {
    if let credentials { return PartyWorker(host: host, credentials: credentials, logger: logger) }
    return PartyWorker(host: host, credentials: try PartyWorkerCredentials(environment: environment), logger: logger)
}
