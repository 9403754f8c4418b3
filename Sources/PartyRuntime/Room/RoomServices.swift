import Logging

/// What rooms share in one application: the storage engine, alarms, idle timers, the clock, the
/// metrics, the room limits' counts and the record of activations.
package final class RoomServices: Sendable {
    /// The storage engine every room's storage, snapshot and alarm goes through.
    package let engine: StorageEngine
    /// The time source for idle timeouts and alarms.
    package let clock: any PartyClock
    /// The application's metrics.
    package let metrics: PartyMetrics
    /// Every room's alarm.
    package let alarms: AlarmBook
    /// Idle timers (hibernation and eviction), one per live room at most.
    package let idleTimers: TimerScheduler<RoomKey>
    /// The reconnection windows of dropped connections.
    package let dropTimers: TimerScheduler<DropTimer>
    /// The room limits' counts: connections, rooms with an actor, rooms starting.
    package let admission: Admission
    /// Where activations are recorded (the control API's directory, or `LocalActivations`).
    package let activations: any RoomActivations
    /// Which node serves each room (every room is local without a cluster).
    package let ownership: any RoomOwnership
    /// The router room calls go through (installed by the registry; a cluster layer may replace it).
    package let calls = RoomCallRouting()
    /// Smallest broadcast message given a `SharedEncoding` (the compression minimum size), or
    /// `Int.max` when nothing is encoded per connection.
    package let sharedEncodingMinimumSize: Int
    /// The application's `env` and secrets, which every room's `env` starts from.
    package let environment: [String: String]
    /// The application's token verifier, when `PartyConfiguration.jwt` is set (`Room.verifyToken`).
    package let tokenVerifier: (any RequestAuthenticator)?

    package init(
        engine: StorageEngine, clock: any PartyClock, metrics: PartyMetrics, alarms: AlarmConfiguration, logger: Logger,
        limits: ServerLimits = ServerLimits(), activations: any RoomActivations = LocalActivations(),
        sharedEncodingMinimumSize: Int = .max, ownership: any RoomOwnership = LocalOwnership(), environment: [String: String] = [:],
        tokenVerifier: (any RequestAuthenticator)? = nil
    ) {
        self.tokenVerifier = tokenVerifier
        self.environment = environment
        self.ownership = ownership
        self.sharedEncodingMinimumSize = sharedEncodingMinimumSize
        self.engine = engine
        self.clock = clock
        self.metrics = metrics
        self.alarms = AlarmBook(engine: engine, clock: clock, configuration: alarms, logger: logger)
        self.idleTimers = TimerScheduler(clock: clock)
        self.dropTimers = TimerScheduler(clock: clock)
        self.admission = Admission(limits: limits)
        self.activations = activations
    }

    /// Services over an in-memory database, for socket-free tests (`InMemoryRoom`).
    package static func inMemory(routeNames: [String], clock: any PartyClock = SystemClock(), logger: Logger) -> RoomServices {
        do {
            let engine = try StorageEngine(directory: nil, logger: logger)
            return RoomServices(engine: engine, clock: clock, metrics: PartyMetrics(routeNames: routeNames), alarms: AlarmConfiguration(), logger: logger)
        } catch {
            fatalError("an in-memory SQLite database could not be opened: \(error)")
        }
    }
}
