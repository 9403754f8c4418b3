import PartyServer
import PartyYjs

/// A ready-made Yjs room (`/parties/yjs/:name`) for `y-websocket`, `y-partyserver` and
/// `pycrdt-websocket` clients: one durable document per room, awareness relayed, no access
/// rules. Connect a provider with the server URL `ws://HOST/parties/yjs` and the room name.
///
/// - Every update is stored before the other clients get it; stored updates are merged into one
///   snapshot every 500 updates or 1 MiB (`YjsOptions`).
/// - `GET /parties/yjs/:name` answers the document as one update (`application/octet-stream`),
///   for backups and tools (`Y.applyUpdate` reads it).
/// - Hibernates after 10 idle seconds; its clients stay connected.
public actor YDocRoom: YServer {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "yjs"

    /// Hibernates after 10 idle seconds: the document is in storage, awareness in the
    /// connections' state.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }

    /// The room this instance serves.
    public let room: Room
    /// The room's document and awareness.
    public var yjs = YjsState()

    /// Creates the room's instance.
    public init(room: Room) {
        self.room = room
    }

    /// `GET`: the document as one update.
    public func onRequest(_ request: Request) async throws -> Response {
        try await yjsStart()
        return try await yjsDocumentResponse(request)
    }
}
