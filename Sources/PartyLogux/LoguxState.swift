import PartyRuntime
/// What a Logux room keeps in memory beside its storage: hold one as `var logux = LoguxState()`
/// in your `LoguxServer` actor. It is rebuilt from storage when the room starts.
public struct LoguxState: Sendable {
    /// Whether `loguxStart()` ran for this activation.
    var started = false
    /// The room's own node id, `server:<random>`, kept in storage.
    var serverNode = ""
    /// The position of the newest action in the log.
    var lastAdded: Int64 = 0
    /// The time and sequence of the newest id the room made, so its ids only grow.
    var lastTime: Int64 = 0
    var sequence: Int64 = 0
    /// How far each connected client got, by connection id.
    var progress: [String: LoguxProgress] = [:]
    /// The records of the nodes connected now, by node id.
    var nodes: [String: LoguxNodeRecord] = [:]
    /// How many actions each channel has in the log, counted when first needed.
    var channelCounts: [String: Int] = [:]
    /// Actions added since the log was last cleaned.
    var addedSinceCleaning = 0

    /// An empty state; `loguxStart()` fills it.
    public init() {}
}
