import Foundation
import HTTPTypes
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP side of the session control API under `/{prefix}/` (default `/_party/`): checks the
/// API key, routes, and maps `RoomControl` calls and `ControlError`s to HTTP. Only installed
/// when an API key is configured; otherwise those paths answer 404 like any unknown path.
struct ControlAPI: Sendable {
    let rooms: RoomControl
    let configuration: ControlConfiguration
    /// The rooms' prefix, for the WebSocket URLs in `connect` answers.
    let roomPrefix: String
    let apiKey: APIKey
    let inspectorPage: ByteBuffer?
    /// Whether the server speaks TLS (for the schemes of the URLs it hands out).
    let secure: Bool
    let clock: any PartyClock
    let logger: Logger
    /// The rooms' front, which forwards requests to other nodes of a cluster.
    let front: PartyFront?

    /// The inspector's session cookie.
    static let cookieName = "partyserver_inspector"
    /// The header the inspector adds to its changes, which a page of another site cannot send
    /// with the cookie (it needs a CORS preflight we do not grant).
    static let inspectorHeader = HTTPField.Name("X-Party-Inspector")!
    /// `Last-Event-ID`, sent by an `EventSource` when it reconnects.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// The API for `configuration`, or nil when it has no API key (the HTTP API is off).
    init?(rooms: RoomControl, configuration: PartyConfiguration, inspectorPage: ByteBuffer?, front: PartyFront? = nil, logger: Logger) {
        guard configuration.control.isHTTPEnabled, let key = configuration.control.apiKey else { return nil }
        self.rooms = rooms
        self.configuration = configuration.control
        self.roomPrefix = configuration.prefix
        self.apiKey = APIKey(key)
        self.inspectorPage = inspectorPage
        self.secure = configuration.tls != nil
        self.clock = configuration.clock
        self.logger = logger
        self.front = front
    }

    /// Answers a request under the control prefix; nil for any other path.
    func respond(
        method: HTTPRequest.Method, target: String, authority: String?, headers: HTTPFields, readBody: (Int) async throws -> ByteBuffer
    ) async -> ControlReply? {
        let queryStart = target.firstIndex(of: "?")
        let path = String(queryStart.map { target[..<$0] } ?? Substring(target))
        guard let route = ControlRoute.match(path: path, prefix: configuration.prefix) else { return nil }
        let query = queryStart.map { QueryString.parse(target[target.index(after: $0)...]) } ?? []
        if route == .inspector {
            return .response(inspector(method: method, query: query, headers: headers))
        }
        guard isAuthorized(method: method, headers: headers) else {
            logger.info("refused a control API request", metadata: ["path": "\(path.prefix(200))"])
            return .response(Self.unauthorized)
        }
        let authority = Self.clientAuthority(authority, headers: headers)
        do {
            if let forwarded = try await forwardRoomRequest(route, method: method, target: target, authority: authority, headers: headers, readBody: readBody) {
                return forwarded
            }
            return try await dispatch(route, method: method, query: query, target: target, authority: authority, headers: headers, readBody: readBody)
        } catch {
            return .response(Self.response(for: error))
        }
    }

    private func dispatch(
        _ route: ControlRoute, method: HTTPRequest.Method, query: [(name: String, value: String)], target: String, authority: String?,
        headers: HTTPFields, readBody: (Int) async throws -> ByteBuffer
    ) async throws(ControlError) -> ControlReply {
        switch (route, method) {
        case (.connect, .post):
            let body = try await Self.body(readBody)
            do {
                return .response(try await connect(body: body, authority: authority))
            } catch {
                // The room holding the key runs on another node: that node answers.
                guard case .roomElsewhere(let node, let address) = error.code else { throw error }
                guard PartyFront.hops(headers) < PartyFront.maxHops else { throw .clusterUnavailable("the key's room moved while the request was forwarded") }
                return .response(await forward(method: method, target: target, authority: authority, headers: headers, body: body, to: node, at: address))
            }
        case (.match, .post):
            return .response(try await match(body: try await Self.body(readBody), authority: authority))
        case (.rooms, .get):
            if let merged = try await clusterList(query: query, target: target, authority: authority, headers: headers) { return .response(merged) }
            return .response(try list(query: query))
        case (.events, .get):
            if let merged = try await clusterEvents(target: target, headers: headers) { return merged }
            let updates = try rooms.allStatusUpdates()
            return stream(updates, withIDs: false)
        case (.status(let server, let name), .get):
            if query.first(where: { $0.name == "wait" })?.value == "ready" {
                return .response(Self.json(ControlJSON.Status(try await waitUntilReady(server: server, name: name))))
            }
            return .response(Self.json(ControlJSON.Status(try rooms.status(server: server, name: name))))
        case (.statusStream(let server, let name), .get):
            let updates = try rooms.statusUpdates(server: server, name: name, after: headers[Self.lastEventID])
            return stream(updates, withIDs: true)
        case (.terminate(let server, let name), .post):
            let body = try await Self.body(readBody)
            let hard = body.readableBytes == 0 ? false : (try Self.decode(ControlJSON.TerminateBody.self, body).hard ?? false)
            let status = try await rooms.terminate(server: server, name: name, hard: hard)
            return .response(Self.json(ControlJSON.Status(status)))
        case (.invalid(let reason), _):
            return .response(Self.failure(.badRequest, reason, code: "invalid-argument"))
        case (.unknown, _), (.inspector, _):
            return .response(Self.failure(.notFound, "no such control endpoint; see the README's Session control API section", code: "not-found"))
        case (.connect, _), (.terminate, _), (.match, _):
            return .response(Self.methodNotAllowed("POST"))
        case (.rooms, _), (.events, _), (.status, _), (.statusStream, _):
            return .response(Self.methodNotAllowed("GET"))
        }
    }

    private func stream(_ updates: AsyncStream<RoomStatusEvent>, withIDs: Bool) -> ControlReply {
        let heartbeat = configuration.streamHeartbeat
        let clock = self.clock
        return .stream(headers: ServerSentEvents.headers) { write in
            try await ServerSentEvents.pump(updates, withIDs: withIDs, heartbeat: heartbeat, clock: clock, write: write)
        }
    }

    /// `?wait=ready`: waits for `ready` or the end, and no longer than graceful shutdown allows.
    private func waitUntilReady(server: String, name: String) async throws(ControlError) -> RoomStatusEvent {
        let rooms = self.rooms
        do {
            return try await cancelWhenGracefulShutdown {
                try await rooms.waitUntilReady(server: server, name: name)
            }
        } catch let error as ControlError {
            throw error
        } catch {
            return try rooms.status(server: server, name: name)
        }
    }

    // MARK: Authorization

    /// A valid `Authorization: Bearer KEY`, or the inspector's cookie (for changes only together
    /// with the inspector's header).
    private func isAuthorized(method: HTTPRequest.Method, headers: HTTPFields) -> Bool {
        if let authorization = headers[.authorization] {
            let scheme = authorization.prefix(7)
            guard scheme == "Bearer " || scheme == "bearer " else { return false }
            return apiKey.matches(String(authorization.dropFirst(7)))
        }
        guard let session = Self.cookie(Self.cookieName, in: headers), apiKey.matchesSession(session) else { return false }
        return method == .get || method == .head || headers[Self.inspectorHeader] == "1"
    }

    /// The value of cookie `name`, if the request carries it.
    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop(while: { $0 == " " })
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                return String(trimmed[trimmed.index(after: equals)...])
            }
        }
        return nil
    }

    static var unauthorized: Response {
        var response = failure(.unauthorized, "send the control API key as Authorization: Bearer KEY", code: "unauthorized")
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    static func methodNotAllowed(_ allowed: String) -> Response {
        var response = failure(.methodNotAllowed, "use \(allowed)", code: "method-not-allowed")
        response.headers[.allow] = allowed
        return response
    }
}
