import PartyLogux
import PartyServer
import Synchronization

/// The Logux room of the resend benchmark (`/parties/logux-bench/NAME`): the ready-made
/// `logux` counter's behaviour (channel `counter`, action `counter/increment` added to the count
/// and sent to the channel's other subscribers, `counter/set` on subscribing) with a log that
/// keeps 100,000 actions per channel, so a subscriber can miss 10,000 and get every one back,
/// and `--logux-max-actions-per-sync` actions per `sync` (default 1,000). Never hibernates.
actor LoguxBench: LoguxServer {
    /// The most actions one `sync` carries, both ways; set once at startup.
    static let maxActionsPerSync = Atomic<Int>(1000)

    /// 100,000 actions kept per channel; `maxActionsPerSync` per `sync`.
    static var loguxOptions: LoguxOptions {
        LoguxOptions(maxActionsPerSync: maxActionsPerSync.load(ordering: .relaxed), keepLastPerChannel: 100_000)
    }

    /// The room this instance serves.
    let room: Room
    /// The room's Logux state.
    var logux = LoguxState()
    /// The count, loaded when first needed.
    private var count: Int64?

    /// Creates the room's instance.
    init(room: Room) {
        self.room = room
    }

    /// `counter/increment` is allowed for everyone; other types are unknown.
    func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess {
        action.type == "counter/increment" ? .allow : .unknown
    }

    /// Adds 1 to the count (kept in storage) and sends the increment to the subscribers of `counter`.
    func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients {
        let value = try await currentCount() + 1
        count = value
        try await room.storage.put("counter", value)
        return .channel("counter")
    }

    /// Only `counter` exists.
    func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess {
        channel == "counter" ? .allow : .unknown
    }

    /// `{"type":"counter/set","value":N}`.
    func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction] {
        [try LoguxAction(encoding: CounterSet(value: try await currentCount()))]
    }

    /// The count, from storage the first time.
    private func currentCount() async throws -> Int64 {
        if let count { return count }
        let stored: Int64 = try await room.storage.get("counter") ?? 0
        count = stored
        return stored
    }

    /// The `counter/set` action.
    private struct CounterSet: Encodable {
        let type = "counter/set"
        let value: Int64
    }
}
