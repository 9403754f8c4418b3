import PartyServer

/// A shared counter: one integer per room, incremented over WebSocket or HTTP.
///
/// Protocol (every count is sent as exactly `{"count":N}`):
/// - a new connection first receives the current count;
/// - the text message `inc` adds 1 and sends the new count to every connection, sender included;
/// - any other message (text or binary) is answered, to its sender only, with
///   `{"error":"unknown message; send \"inc\" to increment"}` and changes nothing;
/// - `GET` (or `HEAD`) `/{prefix}/counter/{name}` returns the count, `POST` adds 1, sends the new
///   count to every connection and returns it; other methods get 405 with a JSON error and an `Allow` header; sub-paths get 404.
///
/// The count lives in memory: it starts at 0 whenever the room's instance is created.
public actor Counter: Server {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "counter"

    /// The room this instance serves.
    public let room: Room
    /// The current count.
    public private(set) var count = 0

    /// Creates a counter at 0 for `room`.
    public init(room: Room) {
        self.room = room
    }

    /// Sends the current count to the new connection.
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: Self.json(count: count))
    }

    /// Increments on `inc` and broadcasts the new count; answers anything else with a JSON error.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard message.count == 3, message.text == "inc" else {
            connection.send(text: Self.unknownMessageError)
            return
        }
        count += 1
        room.broadcast(text: Self.json(count: count))
    }

    /// `GET`/`HEAD` return the count, `POST` increments it; anything else is 405.
    public func onRequest(_ request: Request) async throws -> Response {
        guard request.path.isEmpty || request.path == "/" else { return .notFound }
        switch request.method {
        case .get, .head:
            return Self.response(count: count)
        case .post:
            count += 1
            room.broadcast(text: Self.json(count: count))
            return Self.response(count: count)
        default:
            var response = Response.error(.methodNotAllowed, "use GET to read the count or POST to increment it")
            response.headers[.allow] = "GET, HEAD, POST"
            return response
        }
    }

    /// The error sent for any WebSocket message other than `inc`.
    static let unknownMessageError = #"{"error":"unknown message; send \"inc\" to increment"}"#

    /// `{"count":N}`.
    static func json(count: Int) -> String {
        "{\"count\":\(count)}"
    }

    /// A 200 `application/json` response with body `{"count":N}`.
    static func response(count: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(string: json(count: count)))
    }
}
