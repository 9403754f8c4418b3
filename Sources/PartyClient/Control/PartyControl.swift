import Foundation
import NIOSSL
import PartyTime

/// A client of a PartyServer's session control API (`/_party/…`), in the manner of Jamsocket's
/// `@jamsocket/server`: create or find rooms by key, read and watch their statuses, terminate them.
///
/// ```swift
/// let control = try PartyControl.fromEnvironment()          // PARTYSERVER_URL, PARTYSERVER_API_KEY
/// let room = try await control.connect(PartyConnectRequest(server: "match", key: "match-42", user: "ada"))
/// try await control.statusStream(room.backendID) { status in print(status.status) }
/// ```
public struct PartyControl: Sendable {
    /// The server's base URL, `http(s)://host[:port]`.
    public let baseURL: String
    /// The control API's first path segment (the server's `ControlConfiguration.prefix`).
    public let prefix: String
    /// How long `connect`, `status` and `terminate` may take, and opening a status stream.
    public var timeout: Duration
    /// The first wait before a status stream reconnects; it doubles up to 5 s.
    public var reconnectDelay: Duration
    /// How many reconnections in a row may fail before `statusStream` gives up.
    public var reconnectLimit: Int

    let host: String
    let port: Int
    let authority: String
    let apiKey: String
    let tls: NIOSSLContext?
    let clock: any PartyClock

    /// A client for the server at `url` (`http://` or `https://`, no path) with the control API
    /// key `apiKey`. Defaults: prefix `_party`, timeout 30 s, reconnect delay 250 ms, 30
    /// reconnections in a row.
    public init(
        url: String, apiKey: String, prefix: String = "_party", timeout: Duration = .seconds(30),
        reconnectDelay: Duration = .milliseconds(250), reconnectLimit: Int = 30,
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), clock: any PartyClock = SystemClock()
    ) throws(PartyControlError) {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty, parsed.path.isEmpty || parsed.path == "/", parsed.query == nil
        else {
            throw .invalidConfiguration("the control API URL must be http(s)://host[:port] without a path or query, got \(url.debugDescription)")
        }
        guard !apiKey.isEmpty, !apiKey.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw .invalidConfiguration("the control API key must be non-empty and on one line")
        }
        guard !prefix.isEmpty, !prefix.contains(where: { "/?# ".contains($0) }) else {
            throw .invalidConfiguration("prefix must be one path segment, got \(prefix.debugDescription)")
        }
        guard reconnectDelay > .zero, reconnectLimit >= 0, timeout > .zero else {
            throw .invalidConfiguration("timeout and reconnectDelay must be positive, reconnectLimit at least 0")
        }
        let secure = scheme == "https"
        self.port = parsed.port ?? (secure ? 443 : 80)
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.authority = parsed.port.map { "\(host):\($0)" } ?? host
        self.baseURL = "\(scheme)://\(authority)"
        self.apiKey = apiKey
        self.prefix = prefix
        self.timeout = timeout
        self.reconnectDelay = reconnectDelay
        self.reconnectLimit = reconnectLimit
        self.clock = clock
        do {
            tls = secure ? try NIOSSLContext(configuration: tlsConfiguration) : nil
        } catch {
            throw .invalidConfiguration("the TLS configuration is not usable: \(error)")
        }
    }

    /// A client configured from the environment: `PARTYSERVER_URL` and `PARTYSERVER_API_KEY`
    /// (both required), `PARTYSERVER_CONTROL_PREFIX` (optional, default `_party`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(PartyControlError) -> PartyControl {
        guard let url = environment["PARTYSERVER_URL"], !url.isEmpty else {
            throw .invalidConfiguration("set PARTYSERVER_URL to the server's base URL, e.g. http://127.0.0.1:1999")
        }
        guard let key = environment["PARTYSERVER_API_KEY"], !key.isEmpty else {
            throw .invalidConfiguration("set PARTYSERVER_API_KEY to the server's control API key (its --api-key)")
        }
        return try PartyControl(url: url, apiKey: key, prefix: environment["PARTYSERVER_CONTROL_PREFIX"].flatMap { $0.isEmpty ? nil : $0 } ?? "_party")
    }

    /// Finds or creates a room (see ``PartyConnectRequest``) and returns how to reach it.
    public func connect(_ request: PartyConnectRequest = PartyConnectRequest()) async throws(PartyControlError) -> PartyConnectResponse {
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch { throw .invalidConfiguration("the connect request cannot be encoded: \(error)") }
        return try await call("POST", "/connect", body: body, as: PartyConnectResponse.self)
    }

    /// Finds a room of `server` that takes new clients and whose metadata has every field of
    /// `metadata`, or creates one, and reserves a seat in it (Colyseus' `joinOrCreate`).
    public func match(
        server: String? = nil, metadata: (any Encodable & Sendable)? = nil, user: String? = nil, auth: (any Encodable & Sendable)? = nil
    ) async throws(PartyControlError) -> PartyMatchResponse {
        let body: Data
        do {
            body = try JSONEncoder().encode(MatchBody(server: server, metadata: metadata, user: user, auth: auth))
        } catch {
            throw .invalidConfiguration("the match request cannot be encoded: \(error)")
        }
        return try await call("POST", "/match", body: body, as: PartyMatchResponse.self)
    }

    /// The room's latest status.
    public func status(_ backendID: String) async throws(PartyControlError) -> PartyBackendStatus {
        try await call("GET", try roomPath(backendID, "status"), as: PartyBackendStatus.self)
    }

    /// Waits until the room is ready or its activation ended (at most the server's ready timeout, 60 s by default), and returns its status then.
    public func waitUntilReady(_ backendID: String) async throws(PartyControlError) -> PartyBackendStatus {
        try await call("GET", try roomPath(backendID, "status") + "?wait=ready", as: PartyBackendStatus.self, timeout: timeout + .seconds(60))
    }

    /// Terminates the room's activation (softly unless `hard`) and returns its status afterwards.
    public func terminate(_ backendID: String, hard: Bool = false) async throws(PartyControlError) -> PartyBackendStatus {
        try await call("POST", try roomPath(backendID, "terminate"), body: Data(#"{"hard":\#(hard)}"#.utf8), as: PartyBackendStatus.self)
    }

    /// `/{prefix}/rooms/{server}/{name}/{endpoint}` for `server/name`.
    func roomPath(_ backendID: String, _ endpoint: String) throws(PartyControlError) -> String {
        guard let slash = backendID.firstIndex(of: "/"), slash != backendID.startIndex, backendID.index(after: slash) != backendID.endIndex else {
            throw .invalidConfiguration("a backend id is server/name (the connect answer's backend_id), got \(backendID.debugDescription)")
        }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        let encode = { (part: Substring) in String(part).addingPercentEncoding(withAllowedCharacters: allowed) ?? String(part) }
        return "/rooms/\(encode(backendID[..<slash]))/\(encode(backendID[backendID.index(after: slash)...]))/\(endpoint)"
    }

    /// The request for `path` under the prefix.
    func request(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) -> HTTPExchange.Request {
        var all = [("Authorization", "Bearer \(apiKey)"), ("Accept", "application/json")] + headers
        if body != nil { all.append(("Content-Type", "application/json")) }
        return HTTPExchange.Request(
            host: host, port: port, authority: authority, tls: tls, method: method, target: "/\(prefix)\(path)",
            headers: all, body: body, maxResponseSize: 1 << 20, connectTimeout: timeout
        )
    }

    /// Sends a request and decodes its 2xx answer; anything else is an error.
    private func call<T: Decodable>(
        _ method: String, _ path: String, body: Data? = nil, as type: T.Type, timeout: Duration? = nil
    ) async throws(PartyControlError) -> T {
        let request = request(method, path, body: body)
        let url = baseURL + request.target
        let response: PartyFetchResponse
        do {
            response = try await withDeadline(clock: clock, timeout: timeout ?? self.timeout) { try await HTTPExchange.perform(request) }
        } catch TransportError.timedOut {
            throw .unreachable(url: url, detail: "no answer within \(timeout ?? self.timeout)")
        } catch {
            throw .unreachable(url: url, detail: ErrorDescription.of(error))
        }
        guard response.isSuccess else { throw .http(HTTPError(status: response.status, body: response.text)) }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw .invalidResponse(url: url, detail: "\(error)")
        }
    }
}

/// The JSON of a match request.
private struct MatchBody: Encodable {
    var server: String?
    var metadata: (any Encodable & Sendable)?
    var user: String?
    var auth: (any Encodable & Sendable)?

    enum CodingKeys: String, CodingKey {
        case server, metadata, user, auth
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(server, forKey: .server)
        if let metadata { try container.encode(metadata, forKey: .metadata) }
        try container.encodeIfPresent(user, forKey: .user)
        if let auth { try container.encode(auth, forKey: .auth) }
    }
}
