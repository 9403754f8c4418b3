import Foundation
import HTTPTypes
import Logging
import NIOCore
import Prometheus

/// Decides what happens to each HTTP request and WebSocket upgrade before any room is involved:
/// routing, name validation, the static before-hooks, CORS preflight and the demo page.
struct PartyFront: Sendable {
    /// The rooms and what the server adds to them.
    let edge: EdgeServices
    let configuration: PartyConfiguration
    let demoPage: ByteBuffer?
    let logger: Logger
    /// Verifies JSON Web Tokens when `PartyConfiguration.jwt` is set.
    let authenticator: JWTAuthenticator?
    /// permessage-deflate for connections that offer it, unless `PartyConfiguration.compression` is nil.
    let compression: WebSocketCompression?
    /// The proxies whose forwarding headers name the client.
    let trustedProxies: TrustedProxies
    /// The application's handler for requests no route matched (`PartyApplication.fallback`).
    let fallback: PartyApplication.Fallback?

    /// Every room of the process.
    var registry: RoomRegistry { edge.registry }

    /// Where a request is going, once routing and validation passed.
    struct Target: Sendable {
        let registration: ServerRegistration
        let request: Request
        let lobby: Lobby
    }

    /// The answer to a WebSocket upgrade request.
    enum UpgradeDecision: Sendable {
        case accept(WebSocketSession)
        case reject(Response)
        /// The room is served by another node: relay the connection there.
        case relay(RelaySession)
    }

    // MARK: Routing

    /// Routes `target` (path and query) to a registered server type and a valid room name.
    func route(method: HTTPRequest.Method, target: String, headers: HTTPFields, body: ByteBuffer = ByteBuffer(), peer: String? = nil) -> Result<Target, Rejection>? {
        let queryStart = target.firstIndex(of: "?")
        let path = queryStart.map { target[..<$0] } ?? Substring(target)
        switch RoomRoute.match(path: String(path), prefix: configuration.prefix) {
        case .notParty:
            return nil
        case .invalid(let reason):
            return .failure(Rejection(.badRequest, reason))
        case .room(let server, let name, let rest):
            guard let registration = registry.registration(named: server) else {
                return .failure(Rejection(.notFound, "unknown server \(server.debugDescription); registered: \(registry.registrations.keys.sorted().joined(separator: ", "))"))
            }
            let query = queryStart.map { QueryString.parse(target[target.index(after: $0)...]) } ?? []
            let request = Request(method: method, uri: target, path: rest, query: query, headers: headers, body: body, remoteAddress: clientAddress(peer: peer, headers: headers))
            var lobby = Lobby(server: server, name: name)
            lobby.authenticator = authenticator
            return .success(Target(registration: registration, request: request, lobby: lobby))
        }
    }

    /// The client address of a request from `peer` (see `TrustedProxies`).
    func clientAddress(peer: String?, headers: HTTPFields) -> String? {
        // Without a trusted proxy in front, no header is read (the usual case, per connection).
        guard let peer, trustedProxies.trusts(peer) else { return peer }
        let forwarded = headers[values: Self.forwarded]
        let forwardedFor = headers[values: Self.forwardedFor]
        return trustedProxies.clientAddress(
            proxy: peer, forwarded: forwarded.isEmpty ? nil : forwarded.joined(separator: ","),
            forwardedFor: forwardedFor.isEmpty ? nil : forwardedFor.joined(separator: ",")
        )
    }

    private static let forwarded = HTTPField.Name("Forwarded")!
    private static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    // MARK: WebSocket upgrades

    /// Routes an upgrade request and runs `onBeforeConnect`; no room is started or woken here.
    func decideUpgrade(target: String, headers: HTTPFields, peer: String? = nil, eventLoop: any EventLoop) async -> UpgradeDecision {
        let routed: Target
        switch route(method: .get, target: target, headers: headers, peer: peer) {
        case nil:
            let message = "no room at \(Self.loggable(target)); connect to /\(configuration.prefix)/SERVER/NAME"
            logger.info("refused WebSocket upgrade", metadata: ["target": "\(Self.loggable(target))", "status": "404", "reason": "not a room path"])
            return .reject(.error(.notFound, message))
        case .failure(let rejection)?:
            logger.info("refused WebSocket upgrade", metadata: ["target": "\(Self.loggable(target))", "status": "\(rejection.status.code)", "reason": "\(Self.loggable(rejection.message))"])
            return .reject(rejection.response)
        case .success(let value)?:
            routed = value
        }
        let connectionID: String
        if let pk = routed.request.queryValue("_pk") {
            guard !pk.isEmpty, pk.count <= ConnectionLimits.maxTagLength else {
                return .reject(.error(.badRequest, "_pk must be 1 to \(ConnectionLimits.maxTagLength) characters"))
            }
            connectionID = pk
        } else {
            connectionID = UUID().uuidString
        }
        let key = RoomKey(server: routed.registration.routeName, name: routed.lobby.name)
        switch await location(of: key, headers: headers) {
        case nil, .local?:
            break
        case .remote(let node, let address)?:
            return await relay(target: target, headers: headers, key: key, to: node, at: address, on: eventLoop)
        case .unavailable(let reason)?:
            logger.warning("refused WebSocket upgrade: the room's node is unknown", metadata: ["room": "\(key)", "reason": "\(reason)", "status": "503"])
            return .reject(.error(.serviceUnavailable, "the room cannot be reached now (\(reason)); try again"))
        }
        let request: Request
        do {
            var authenticated = routed.request
            let tokenRequired = !routed.registration.options.credentialsInMessages
            if let refusal = await authenticate(&authenticated, lobby: routed.lobby, tokenRequired: tokenRequired) { return .reject(refusal) }
            request = try await routed.registration.beforeConnect(authenticated, routed.lobby)
        } catch let rejection as Rejection {
            logger.info("onBeforeConnect refused a connection", metadata: ["target": "\(Self.loggable(target))", "status": "\(rejection.status.code)"])
            return .reject(rejection.response)
        } catch {
            logger.error("onBeforeConnect threw", metadata: ["target": "\(Self.loggable(target))", "error": "\(error)"])
            return .reject(.error(.internalServerError, "onBeforeConnect failed"))
        }
        let ticket: AdmissionTicket
        // A client back from a drop takes the seat its dropped connection kept; one whose old
        // connection still looks open takes that one's place.
        let window = routed.registration.options.reconnectionWindow != nil
        let seat = routed.request.queryValue("seat") ?? (window ? ConnectionDriver.seat(for: connectionID) : nil)
        let replaces = window && registry.existingSlot(key)?.room.connection(id: connectionID) != nil
        switch admit(key, maxClients: routed.registration.options.maxClients, seat: seat, replaces: replaces) {
        case .success(let admitted):
            ticket = admitted
        case .failure(let refusal):
            logger.info("refused WebSocket upgrade over a limit", metadata: ["room": "\(key)", "limit": "\(refusal.limitName)", "status": "503"])
            return .reject(refusal.response)
        }
        return .accept(
            WebSocketSession(
                registry: registry, registration: routed.registration, roomName: routed.lobby.name,
                request: request, connectionID: connectionID, configuration: configuration, ticket: ticket
            )
        )
    }

    /// Authenticates a room request before its before-hook: worker credentials, then the control
    /// API's rules for the room (a verified worker needs no connection token), then (when
    /// `JWTAuthentication.required` and no user is known yet) a JSON Web Token. Returns the
    /// answer to send instead (401, or 503 for a terminating room), if any. `tokenRequired: false`
    /// (a type whose clients authenticate in their messages) skips the token.
    func authenticate(_ request: inout Request, lobby: Lobby, tokenRequired: Bool = true) async -> Response? {
        if let refusal = await authenticateWorker(&request) { return refusal }
        if let refusal = await checkControlAccess(&request, lobby: lobby, worker: request.user != nil) { return refusal }
        guard tokenRequired, request.user == nil, let authenticator, authenticator.configuration.required else { return nil }
        do {
            request.user = try await authenticator.authenticate(request)
            return nil
        } catch {
            logger.info("refused a request without a valid token", metadata: ["target": "\(Self.loggable(request.uri))", "reason": "\(error)"])
            return error.rejection.response
        }
    }

    /// Checks worker credentials (`Authorization: PartyWorker ID:SECRET`) and makes the worker the
    /// request's user; returns a 401 to send instead when they are wrong or revoked. Runs before
    /// the before-hooks, so no room starts for a refused worker.
    func authenticateWorker(_ request: inout Request) async -> Response? {
        guard let value = request.headers[.authorization], let credentials = WorkerCredentials(authorization: value) else { return nil }
        do {
            guard let account = try await edge.workers.authenticate(credentials) else {
                logger.info("refused worker credentials", metadata: ["worker": "\(credentials.id.prefix(64))", "target": "\(Self.loggable(request.uri))"])
                return .error(.unauthorized, "invalid or revoked worker credentials")
            }
            request.user = account.user
            return nil
        } catch {
            logger.error("could not check worker credentials", metadata: ["error": "\(error)"])
            return .error(.serviceUnavailable, "could not check worker credentials; try again")
        }
    }

    /// The answer to an upgrade request whose handshake was refused (`refusal`, from
    /// `HandshakeCheck`): 426 with `Sec-WebSocket-Version: 13` for another version, 400 otherwise.
    func malformedUpgradeResponse(_ refusal: Rejection?, target: String) -> Response {
        let rejection = refusal ?? Rejection(.badRequest, "malformed WebSocket upgrade")
        logger.info(
            "refused a malformed WebSocket upgrade",
            metadata: ["target": "\(Self.loggable(target))", "status": "\(rejection.status.code)", "reason": "\(Self.loggable(rejection.message))"]
        )
        return rejection.response
    }

    /// `text` (a request target, a refusal) for a log line or an error message: the values of query parameters that
    /// carry secrets (`token`, `key`) replaced by `REDACTED`, cut to 200 characters when it is
    /// over 256 bytes.
    static func loggable(_ text: String) -> String {
        var text = text
        if let queryStart = text.firstIndex(of: "?") {
            let query = text[text.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> Substring in
                let name = pair.prefix { $0 != "=" }.lowercased()
                return name == "token" || name == "key" || name == "api_key" ? Substring(name + "=REDACTED") : pair
            }
            text = String(text[..<queryStart]) + "?" + query.joined(separator: "&")
        }
        guard text.utf8.count > 256 else { return text }
        return "\(text.prefix(200))… (\(text.utf8.count) bytes)"
    }

    // MARK: HTTP

    /// Answers a plain HTTP request; `readBody` collects the body up to a limit.
    func respond(
        method: HTTPRequest.Method,
        target: String,
        headers: HTTPFields,
        peer: String? = nil,
        readBody: (Int) async throws -> ByteBuffer
    ) async -> Response {
        let origin = headers[.origin]
        var response = await respondWithoutCORS(method: method, target: target, headers: headers, peer: peer, readBody: readBody)
        if let cors = configuration.cors, method != .options {
            response.headers.append(contentsOf: cors.responseHeaders(origin: origin))
        }
        return response
    }

    private func respondWithoutCORS(
        method: HTTPRequest.Method,
        target: String,
        headers: HTTPFields,
        peer: String?,
        readBody: (Int) async throws -> ByteBuffer
    ) async -> Response {
        if method == .options, let cors = configuration.cors, headers[.accessControlRequestMethod] != nil {
            guard let fields = cors.preflightHeaders(origin: headers[.origin]) else {
                return .error(.forbidden, "origin not allowed")
            }
            return Response(status: .noContent, headers: fields)
        }
        if let metricsPath = configuration.metricsPath, method == .get || method == .head, target == metricsPath {
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: ByteBuffer(bytes: edge.metricsExport.emitToBuffer()))
        }
        if headers[.upgrade]?.lowercased() == "websocket" {
            let refusal = HandshakeCheck.refusal(method: method.rawValue, isHTTP11OrLater: nil, headers: headers)
            return malformedUpgradeResponse(refusal, target: target)
        }
        let routed: Target
        switch route(method: method, target: target, headers: headers, peer: peer) {
        case nil:
            if let fallback {
                return await answerUnrouted(fallback, method: method, target: target, headers: headers, peer: peer, readBody: readBody)
            }
            if configuration.serveDemoPage, method == .get || method == .head, target == "/" || target.hasPrefix("/?"), let demoPage {
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: demoPage)
            }
            return .error(.notFound, "not found")
        case .failure(let rejection)?:
            logger.info("refused request", metadata: ["target": "\(Self.loggable(target))", "status": "\(rejection.status.code)", "reason": "\(Self.loggable(rejection.message))"])
            return rejection.response
        case .success(let value)?:
            routed = value
        }
        var request = routed.request
        do {
            request.body = try await readBody(configuration.maxRequestBodySize)
        } catch is NIOTooManyBytesError {
            logger.info(
                "refused a request body over maxRequestBodySize",
                metadata: ["room": "\(routed.lobby.server)/\(routed.lobby.name)", "limit": "maxRequestBodySize", "status": "413"]
            )
            return .error(.contentTooLarge, "request body exceeds \(configuration.maxRequestBodySize) bytes")
        } catch {
            logger.debug("the request body ended early", metadata: ["target": "\(Self.loggable(target))", "error": "\(error)"])
            return .error(.badRequest, "incomplete request body")
        }
        let key = RoomKey(server: routed.registration.routeName, name: routed.lobby.name)
        switch await location(of: key, headers: headers) {
        case nil, .local?:
            break
        case .remote(let node, let address)?:
            return await forward(method: method, target: target, headers: headers, body: request.body, to: node, at: address)
        case .unavailable(let reason)?:
            logger.warning("refused request: the room's node is unknown", metadata: ["room": "\(key)", "reason": "\(reason)", "status": "503"])
            return .error(.serviceUnavailable, "the room cannot be reached now (\(reason)); try again")
        }
        if let refusal = await authenticate(&request, lobby: routed.lobby) { return refusal }
        do {
            request = try await routed.registration.beforeRequest(request, routed.lobby)
        } catch let rejection as Rejection {
            return rejection.response
        } catch {
            logger.error("onBeforeRequest threw", metadata: ["target": "\(Self.loggable(target))", "error": "\(error)"])
            return .error(.internalServerError, "onBeforeRequest failed")
        }
        return await respondInRoom(routed.registration, name: routed.lobby.name, request: request)
    }
}
