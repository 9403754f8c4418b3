import PartyServer

/// An echo room: every text or binary message goes back to its sender only, byte for byte and of
/// the same kind.
///
/// For protocol conformance runs (`Conformance/autobahn` drives the Autobahn cases against it)
/// and for trying a client. Echo keeps nothing and does not answer HTTP requests (404).
public actor Echo: Server {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "echo"

    /// The room this instance serves.
    public let room: Room

    /// Creates the echo room for `room`.
    public init(room: Room) {
        self.room = room
    }

    /// Sends `message` back to `connection`.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        connection.send(message)
    }
}
