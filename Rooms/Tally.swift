import Foundation
import PartyServer

/// A durable total per room that other tallies add to with room calls: the ready-made room that
/// shows (and tests) one room calling another, on one node or across the nodes of a cluster.
///
/// HTTP (every total is sent as exactly `{"total":N}`, `N` an integer):
/// - `GET /{prefix}/tally/{name}` returns the total;
/// - `POST /{prefix}/tally/{name}` with an integer body (empty means 1) adds it and returns the new
///   total; when another room's call reached it, the response names that room in `x-tally-caller`;
/// - `POST /{prefix}/tally/{name}/fetch/{other}?amount=N` makes this room `fetch` that `POST`
///   from the tally `other` and answers with `other`'s response;
/// - `POST /{prefix}/tally/{name}/call/{other}?amount=N` makes this room send the typed call
///   `.add(N)` to the tally `other` and answers with the total it replied;
/// - `POST /{prefix}/tally/{name}/fail/{other}?message=TEXT` sends `.fail(TEXT)`, which `other`
///   answers by throwing `TallyError.refused(TEXT)`.
///
/// A failed room call is answered with 502 (504 for a timeout) and
/// `{"error":DESCRIPTION,"reason":CASE}`, plus `errorType` and `message` for `.failed`. A bad
/// amount or an unknown path gets 400 or 404.
public actor Tally: CallableServer {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "tally"

    /// Hibernates after 10 idle seconds.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }

    /// A typed call from another room.
    public enum Call: Codable, Sendable {
        /// Adds the amount; the reply is the new total.
        case add(Int)
        /// Changes nothing; the reply is the total.
        case read
        /// Throws `TallyError.refused` with the text (to see a callee's error reach its caller).
        case fail(String)
    }

    /// What a tally throws when asked to (`Call.fail`).
    public enum TallyError: Error, CustomStringConvertible {
        /// The caller asked for this error, with this text.
        case refused(String)

        /// The text, as the caller sees it in `RoomCallError.failed`.
        public var description: String {
            switch self {
            case .refused(let text): "refused: \(text)"
            }
        }
    }

    /// The storage key of the total.
    static let key = "total"

    /// The room this instance serves.
    public let room: Room

    /// Creates a tally for `room`.
    public init(room: Room) {
        self.room = room
    }

    /// Answers a typed call: adds, reads, or throws as asked.
    public func onCall(_ call: Call, from caller: RoomCaller) async throws -> Int {
        switch call {
        case .add(let amount):
            return try await add(amount)
        case .read:
            return try await total()
        case .fail(let text):
            throw TallyError.refused(text)
        }
    }

    /// Reads or adds to the total, or calls another tally (see the type's documentation).
    public func onRequest(_ request: Request) async throws -> Response {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch (request.method, parts.count) {
        case (.get, 0), (.head, 0):
            return Self.response(total: try await total())
        case (.post, 0):
            let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let amount = text.isEmpty ? 1 : Int(text) else { return .error(.badRequest, "the body is an integer to add, e.g. 5") }
            var response = Self.response(total: try await add(amount))
            if let caller = RoomCaller.current { response.headers[HTTPField.Name("x-tally-caller")!] = caller.description }
            return response
        case (.post, 2):
            let other = parts[1].removingPercentEncoding ?? parts[1]
            return try await callOther(parts[0], other, request)
        default:
            return .notFound
        }
    }

    /// Makes the call `verb` (`fetch`, `call` or `fail`) to the tally `other`.
    private func callOther(_ verb: String, _ other: String, _ request: Request) async throws -> Response {
        let stub = room.stub(for: Tally.self, named: other)
        guard let amount = Int(request.queryValue("amount") ?? "1") else { return .error(.badRequest, "amount is an integer, e.g. amount=5") }
        do throws(RoomCallError) {
            switch verb {
            case "fetch":
                return try await stub.fetch(.post, body: ByteBuffer(string: String(amount)))
            case "call":
                return Self.response(total: try await stub.call(.add(amount)))
            case "fail":
                _ = try await stub.call(.fail(request.queryValue("message") ?? "no reason"))
                return .error(.internalServerError, "the tally \(other) did not fail as asked")
            default:
                return .notFound
            }
        } catch {
            return Self.response(error)
        }
    }

    /// The stored total.
    private func total() async throws -> Int {
        try await room.storage.get(Self.key) ?? 0
    }

    /// Adds `amount` to the stored total and returns it.
    private func add(_ amount: Int) async throws -> Int {
        let (value, overflow) = try await total().addingReportingOverflow(amount)
        guard !overflow else { throw TallyError.refused("the total would overflow") }
        try await room.storage.put(Self.key, value)
        return value
    }

    /// A 200 `application/json` response with body `{"total":N}`.
    static func response(total: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"total\":\(total)}"))
    }

    /// 502 (504 for a timeout) with the call error's description, case, and for `.failed` the
    /// callee's error type and message.
    static func response(_ error: RoomCallError) -> Response {
        var body: [String: String] = ["error": error.description, "reason": error.reason]
        if case .failed(let errorType, let message) = error {
            body["errorType"] = errorType
            body["message"] = message
        }
        if case .timeout = error { return .json(body, status: .gatewayTimeout) }
        return .json(body, status: .badGateway)
    }
}
