import PartyServer
import PartyTinyBase

/// A ready-made TinyBase room (`/parties/tinybase/:name`) for `WsSynchronizer` clients: one
/// durable MergeableStore per room, which syncs with every client as client "S", so a client
/// that connects alone still gets the data. No access rules.
///
/// - The store is written to storage before any client hears of a change it took part in.
/// - `GET /parties/tinybase/:name` answers the content as JSON (`{"tables": …, "values": …}`).
/// - Hibernates after 10 idle seconds; its clients stay connected.
public actor TinyBaseRoom: TinyBaseServer {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "tinybase"

    /// Hibernates after 10 idle seconds: the store is in storage, client ids in the tags.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }

    /// The room this instance serves.
    public let room: Room
    /// The room's store.
    public var tinybase = TinyBaseState()

    /// Creates the room's instance.
    public init(room: Room) {
        self.room = room
    }
}
