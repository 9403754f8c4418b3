import Foundation
import HTTPTypes
import NIOCore

extension ControlAPI {
    /// Largest control request body.
    static let maxBodySize = 256 * 1024

    /// `POST /connect`.
    func connect(body: ByteBuffer, authority: String?) async throws(ControlError) -> Response {
        let request = try Self.decode(ControlJSON.ConnectBody.self, body)
        let spawn = try request.spawnOptions()
        let server = try serverType(request.server)
        let result = try await rooms.connect(server: server, key: request.key, spawn: spawn, user: request.user, auth: request.auth)
        return Self.json(connectAnswer(result, authority: authority))
    }

    /// The JSON answer describing `result` and how to reach it.
    func connectAnswer(_ result: RoomConnectResult, authority: String?) -> ControlJSON.ConnectAnswer {
        let base = baseURLs(authority: authority)
        let room = "\(Self.encode(result.server))/\(Self.encode(result.name))"
        let statusURL = "\(base.http)/\(configuration.prefix)/rooms/\(room)/status"
        return ControlJSON.ConnectAnswer(
            roomID: result.roomID, server: result.server, name: result.name, spawned: result.spawned, status: result.status,
            key: result.key, url: "\(base.ws)/\(roomPrefix)/\(room)", token: result.token,
            statusURL: statusURL, readyURL: "\(statusURL)?wait=ready"
        )
    }

    /// `POST /match`: a room with a free seat (or a new one) and the seat reserved in it.
    func match(body: ByteBuffer, authority: String?) async throws(ControlError) -> Response {
        let request = try Self.decode(ControlJSON.MatchBody.self, body)
        let found = try await rooms.match(server: try serverType(request.server), metadata: request.metadata, user: request.user, auth: request.auth)
        var answer = connectAnswer(found.room, authority: authority)
        answer.url += "?seat=\(found.seat)"
        return Self.json(ControlJSON.MatchAnswer(room: answer, seat: found.seat, seatExpiresAt: ControlJSON.timestamp(found.seatExpiresAt)))
    }

    /// The server type a connect request names, else the configured default, else the only one registered.
    private func serverType(_ named: String?) throws(ControlError) -> String {
        if let named { return named }
        if let fallback = configuration.defaultServer { return fallback }
        let registered = try rooms.registry().registrations.keys.sorted()
        if registered.count == 1, let only = registered.first { return only }
        throw .invalidArgument(
            "name the server type with \"server\" (registered: \(registered.joined(separator: ", "))), or configure a default server type (ControlConfiguration.defaultServer, --default-server)"
        )
    }

    /// `GET /rooms?server=&status=&limit=`.
    func list(query: [(name: String, value: String)]) throws(ControlError) -> Response {
        let value = { (name: String) in query.first { $0.name == name }?.value }
        var status: RoomStatus?
        if let raw = value("status"), !raw.isEmpty {
            guard let parsed = RoomStatus(rawValue: raw) else {
                throw .invalidArgument("status must be one of \(RoomStatus.allCases.map(\.rawValue).joined(separator: ", ")), got \(raw.debugDescription)")
            }
            status = parsed
        }
        var limit = 1000
        if let raw = value("limit") {
            guard let parsed = Int(raw), (1...100_000).contains(parsed) else { throw .invalidArgument("limit must be 1 to 100000, got \(raw.debugDescription)") }
            limit = parsed
        }
        let server = value("server").flatMap { $0.isEmpty ? nil : $0 }
        let summaries = try rooms.list(server: server, status: status, limit: limit)
        return Self.json(ControlJSON.RoomList(rooms: summaries.map(ControlJSON.RoomEntry.init)))
    }

    /// `GET /` — the inspector. `?key=KEY` signs in: it sets the session cookie and redirects to
    /// the page without the key in the address.
    func inspector(method: HTTPRequest.Method, query: [(name: String, value: String)], headers: HTTPFields) -> Response {
        guard method == .get || method == .head else { return Self.methodNotAllowed("GET") }
        let home = "/\(configuration.prefix)/"
        if let key = query.first(where: { $0.name == "key" })?.value {
            guard apiKey.matches(key) else {
                logger.info("refused an inspector sign-in with a wrong key")
                return .html(Self.signInPage(home, failed: true), status: .unauthorized)
            }
            return Response(status: .seeOther, headers: [
                .location: home,
                .setCookie: "\(Self.cookieName)=\(apiKey.sessionValue); Path=/\(configuration.prefix); HttpOnly; SameSite=Strict",
                .cacheControl: "no-store",
            ])
        }
        guard isAuthorizedForPage(headers), let inspectorPage else {
            return .html(Self.signInPage(home, failed: false), status: .unauthorized)
        }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: inspectorPage)
    }

    private func isAuthorizedForPage(_ headers: HTTPFields) -> Bool {
        if let authorization = headers[.authorization], authorization.hasPrefix("Bearer ") {
            return apiKey.matches(String(authorization.dropFirst(7)))
        }
        return Self.cookie(Self.cookieName, in: headers).map(apiKey.matchesSession) ?? false
    }

    private static func signInPage(_ home: String, failed: Bool) -> String {
        """
        <!doctype html><meta charset="utf-8"><title>PartyServer inspector</title>
        <p>\(failed ? "That key is not the control API key. " : "")Open <code>\(home)?key=YOUR_API_KEY</code> to sign in.</p>
        """
    }

    // MARK: Helpers

    /// The base HTTP and WebSocket URLs clients use: the configured public URL, else the
    /// request's `Host` (`https`/`wss` with TLS).
    func baseURLs(authority: String?) -> (http: String, ws: String) {
        if var base = configuration.publicURL {
            while base.hasSuffix("/") { base.removeLast() }
            if base.hasPrefix("https://") { return (base, "wss://" + base.dropFirst(8)) }
            if base.hasPrefix("http://") { return (base, "ws://" + base.dropFirst(7)) }
            return ((secure ? "https://" : "http://") + base, (secure ? "wss://" : "ws://") + base)
        }
        var host = authority ?? "localhost"
        if host.isEmpty || host.contains(where: { $0.isWhitespace || "/?#@\\".contains($0) }) { host = "localhost" }
        return ((secure ? "https://" : "http://") + host, (secure ? "wss://" : "ws://") + host)
    }

    /// Percent-encodes a path segment.
    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    /// Reads a request body up to the control API's limit.
    static func body(_ readBody: (Int) async throws -> ByteBuffer) async throws(ControlError) -> ByteBuffer {
        do {
            return try await readBody(maxBodySize)
        } catch {
            throw .invalidArgument("request body exceeds \(maxBodySize) bytes")
        }
    }

    /// Decodes a JSON body.
    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws(ControlError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw .invalidJSON(Self.describe(error))
        } catch {
            throw .invalidJSON("\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field \(key.stringValue.debugDescription)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        @unknown default: "\(error)"
        }
    }

    /// A JSON response (sorted keys, `/` unescaped so URLs read as they are).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ByteBuffer(string: ControlJSON.text(value)))
    }

    /// The HTTP answer for a control error: `{"error", "status", "code"}`.
    static func response(for error: any Error) -> Response {
        guard let error = error as? ControlError else {
            return failure(.internalServerError, "internal error", code: "internal-error")
        }
        let status: HTTPResponse.Status =
            switch error.code {
            case .notRunning: .serviceUnavailable
            case .unknownServer, .unknownRoom: .notFound
            case .keyUnheld, .keyHeld: .conflict
            case .nothingToConnect, .invalidArgument, .invalidJSON: .badRequest
            case .tokenUnavailable, .tokenKeyUnusable: .internalServerError
            case .overLimit, .notStored: .serviceUnavailable
            case .roomElsewhere, .clusterUnavailable: .serviceUnavailable
            }
        var response = failure(status, error.description, code: error.identifier)
        if status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
        return response
    }

    /// A control API error: `{"error": message, "status": code, "code": identifier}`.
    static func failure(_ status: HTTPResponse.Status, _ message: String, code: String) -> Response {
        json(ControlJSON.ErrorBody(error: message, status: status.code, code: code), status: status)
    }
}
