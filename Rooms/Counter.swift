import Foundation
import PartyServer

/// A shared, durable counter: one integer per room, kept in the room's storage.
///
/// Protocol (every count is sent as exactly `{"count":N}`):
/// - a new connection first receives the current count;
/// - the text message `inc` adds 1, stores the new count, and once it is durable sends it to every
///   connection, sender included (a count a client has seen survives a crash);
/// - `reset-in:MS` sets the room's alarm MS milliseconds ahead (0 to 31,536,000,000); when it fires
///   the count becomes 0 and `{"count":0}` goes to every connection. The sender gets
///   `{"resetAt":T}` (T in milliseconds since 1970);
/// - any other message is answered, to its sender only, with a JSON `{"error":…}` and changes nothing;
/// - `GET` (or `HEAD`) `/{prefix}/counter/{name}` returns the count, `POST` adds 1 like `inc` and
///   returns it; other methods get 405 with a JSON error and an `Allow` header; sub-paths get 404.
///
/// Rooms hibernate when idle (their connections stay open); the count is read back from storage
/// when the room wakes.
public actor Counter: Server {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "counter"

    /// Hibernates after 10 idle seconds.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }

    /// The storage key of the count.
    static let key = "count"

    /// The room this instance serves.
    public let room: Room
    /// The current count.
    public private(set) var count = 0

    /// Creates a counter for `room`; the count is loaded in `onStart`.
    public init(room: Room) {
        self.room = room
    }

    /// Loads the count from storage.
    public func onStart() async throws {
        count = try await room.storage.get(Self.key) ?? 0
    }

    /// Sends the current count to the new connection.
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: Self.json(count: count))
    }

    /// Handles `inc` and `reset-in:MS`; answers anything else with a JSON error.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else {
            connection.send(text: Self.unknownMessageError)
            return
        }
        if text == "inc" {
            try await increment()
        } else if text.hasPrefix("reset-in:") {
            guard let milliseconds = Int64(text.dropFirst("reset-in:".count)), (0...31_536_000_000).contains(milliseconds) else {
                connection.send(text: #"{"error":"reset-in takes a whole number of milliseconds from 0 to 31536000000, e.g. reset-in:5000"}"#)
                return
            }
            let at = Date(timeIntervalSince1970: (room.now.timeIntervalSince1970 * 1000 + Double(milliseconds)).rounded() / 1000)
            try await room.setAlarm(at: at)
            connection.send(text: "{\"resetAt\":\(Int64((at.timeIntervalSince1970 * 1000).rounded()))}")
        } else {
            connection.send(text: Self.unknownMessageError)
        }
    }

    /// Resets the count to 0 and tells every connection.
    public func onAlarm(_ info: AlarmInfo) async throws {
        count = 0
        try await room.storage.put(Self.key, count)
        room.broadcast(text: Self.json(count: 0))
    }

    /// `GET`/`HEAD` return the count, `POST` increments it; anything else is 405.
    public func onRequest(_ request: Request) async throws -> Response {
        guard request.path.isEmpty || request.path == "/" else { return .notFound }
        switch request.method {
        case .get, .head:
            return Self.response(count: count)
        case .post:
            let value = try await increment()
            return Self.response(count: value)
        default:
            var response = Response.error(.methodNotAllowed, "use GET to read the count or POST to increment it")
            response.headers[.allow] = "GET, HEAD, POST"
            return response
        }
    }

    /// Adds 1, waits until the new count is durable, then sends it to every connection.
    @discardableResult
    private func increment() async throws -> Int {
        count += 1
        let value = count
        try await room.storage.put(Self.key, value)
        room.broadcast(text: Self.json(count: value))
        return value
    }

    /// The error sent for any WebSocket message other than `inc` or `reset-in:MS`.
    static let unknownMessageError = #"{"error":"unknown message; send \"inc\" to increment or \"reset-in:MS\" to reset after MS milliseconds"}"#

    /// `{"count":N}`.
    static func json(count: Int) -> String {
        "{\"count\":\(count)}"
    }

    /// A 200 `application/json` response with body `{"count":N}`.
    static func response(count: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(string: json(count: count)))
    }
}
