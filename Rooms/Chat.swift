import PartyServer

/// A chat room: every text or binary message is relayed, unchanged, to the room's other connections.
///
/// The relayed message is the same bytes that arrived (same kind, no decoding or re-encoding), so
/// clients may use any message format. The sender does not receive its own message. Chat keeps no
/// history and does not answer HTTP requests (they get the default 404).
public actor Chat: Server {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "chat"

    /// The room this instance serves.
    public let room: Room

    /// Creates the chat for `room`.
    public init(room: Room) {
        self.room = room
    }

    /// Sends `message` to every other open connection of the room, byte for byte.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        room.broadcast(message, excluding: connection)
    }
}
