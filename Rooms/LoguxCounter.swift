import PartyLogux
import PartyServer

/// A ready-made Logux room (`/parties/logux/:name`) for trying `@logux/client` without writing
/// Swift: one shared counter per room.
///
/// - Subprotocol 1.
/// - Channel `counter`: subscribing sends `{"type":"counter/set","value":N}`.
/// - Action `counter/increment`: adds 1 (kept in storage) and goes to every subscriber of
///   `counter`; the sender gets `logux/processed`.
/// - Any other action type is undone with reason `unknown-type`, any other channel with
///   `wrong-channel`.
/// - With token authentication configured (`serve --jwt-...`), a client's token must be a valid
///   JSON Web Token whose `sub` is its node id's user; without it, any token or none is taken.
public actor LoguxCounter: LoguxServer {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "logux"

    /// Hibernates after 10 idle seconds (the log and the count are in storage, sessions in the
    /// connections' state); clients bring their tokens in `connect`.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10), credentialsInMessages: true) }

    /// The room this instance serves.
    public let room: Room
    /// The room's Logux state.
    public var logux = LoguxState()
    /// The count, loaded when first needed.
    private var count: Int64?

    /// Creates the room's instance.
    public init(room: Room) {
        self.room = room
    }

    /// `counter/increment` is allowed for everyone; other types are unknown.
    public func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess {
        action.type == "counter/increment" ? .allow : .unknown
    }

    /// Adds 1 to the count and sends the increment to the subscribers of `counter`.
    public func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients {
        let value = try await currentCount() + 1
        count = value
        try await room.storage.put("counter", value)
        return .channel("counter")
    }

    /// Only `counter` exists.
    public func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess {
        channel == "counter" ? .allow : .unknown
    }

    /// `{"type":"counter/set","value":N}`.
    public func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction] {
        [try LoguxAction(encoding: CounterSet(value: try await currentCount()))]
    }

    private func currentCount() async throws -> Int64 {
        if let count { return count }
        let stored: Int64 = try await room.storage.get("counter") ?? 0
        count = stored
        return stored
    }

    private struct CounterSet: Encodable {
        let type = "counter/set"
        let value: Int64
    }
}
