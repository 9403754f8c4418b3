import Logging

/// What rooms share in one application: the storage engine, alarms, idle timers, the clock,
/// the metrics and the control directory.
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
    /// Worker accounts, checked before any room wakes.
    package let workers: WorkerAccounts
    /// The admission limits' counts: connections, rooms with an actor, rooms starting.
    package let admission: Admission
    /// Keep-alive pings and idle timeouts of every connection, on the connection clock.
    package let liveness: LivenessSweeper
    /// Statuses, keys and spawn settings of rooms (the session control API).
    package let directory: RoomDirectory

    package init(
        engine: StorageEngine, clock: any PartyClock, metrics: PartyMetrics, alarms: AlarmConfiguration, logger: Logger,
        limits: ServerLimits = ServerLimits(), keepAlive: KeepAlive? = nil, connectionClock: any PartyClock = SystemClock(),
        control: ControlConfiguration = ControlConfiguration(), tokenKeys: TokenSigningKeys = .random()
    ) {
        self.engine = engine
        self.clock = clock
        self.metrics = metrics
        self.alarms = AlarmBook(engine: engine, clock: clock, configuration: alarms, logger: logger)
        self.idleTimers = TimerScheduler(clock: clock)
        self.workers = WorkerAccounts(engine: engine)
        self.admission = Admission(limits: limits)
        self.liveness = LivenessSweeper(keepAlive: keepAlive, idleTimeout: limits.idleTimeout, clock: connectionClock, logger: logger)
        self.directory = RoomDirectory(configuration: control, clock: clock, engine: engine, tokenKeys: tokenKeys, logger: logger)
    }

    /// Services over an in-memory database, for socket-free tests (`InMemoryRoom`); connection
    /// tokens are signed with a random key.
    package static func inMemory(routeNames: [String], clock: any PartyClock = SystemClock(), logger: Logger) -> RoomServices {
        do {
            let engine = try StorageEngine(directory: nil, logger: logger)
            return RoomServices(engine: engine, clock: clock, metrics: PartyMetrics(routeNames: routeNames), alarms: AlarmConfiguration(), logger: logger)
        } catch {
            fatalError("an in-memory SQLite database could not be opened: \(error)")
        }
    }
}
