import Foundation

/// The life of one room as a value: whether it has an instance (none, starting, live, stopping),
/// the events that hold it or wait for it, its activation, its termination and its input gate.
///
/// Each method takes one event and returns what to do about it; `RoomSlot` keeps the value behind
/// its lock and carries the actions out after unlocking (starting tasks, resuming waiters, arming
/// the idle timer, telling the directory and the limit counters). The value itself never blocks,
/// starts a task, reads a clock or calls out, so every transition is tested without I/O
/// (`RoomLifecycleTests`). `Instance` is the server actor, `Waiter` what a parked event is
/// resumed through (a continuation in the slot, a number in tests).
struct RoomLifecycle<Instance, Waiter> {
    /// Whether the room has an instance.
    enum Phase {
        /// No instance: never started, hibernated, evicted, terminated or reset.
        case idle
        /// The start of this generation is reserved or running.
        case starting(UInt64)
        /// The instance serves events.
        case live(Instance)
        /// The instance is being released (hibernation, eviction, the end of a termination).
        case stopping
    }

    typealias Wake = RoomWake

    /// How a terminating activation closes its connections.
    struct Termination: Equatable {
        var code: Int
        var reason: String
    }

    // Every stored property is changed only by the methods of this type (here and in
    // `RoomLifecycle+Stopping.swift`); the slot reads them.

    /// Whether events wait for the input gate.
    let gated: Bool
    /// Whether an idle room hibernates (else it is evicted once it has no connections).
    let hibernates: Bool
    /// How long without events before the idle timer releases the instance.
    let idleAfter: TimeInterval

    var phase: Phase = .idle
    var generation: UInt64 = 0
    /// Events holding the instance (between `acquire` and `release`).
    var inFlight = 0
    /// Connections, requests and alarm runs that checked the room out of the registry.
    var users = 0
    /// When the last event ended.
    var lastActivity = Date.distantPast
    var idleTimerArmed = false
    /// Whether the instance was released by hibernation (and the room has not woken since).
    var hibernated = false
    /// The activation the room runs; nil until a start begins one.
    var activation: UInt64?
    /// Whether the activation was spawned through the control API: never evicted, kept in the
    /// registry until it terminates.
    var pinned = false
    /// Set while the activation terminates (out of line, as `lastFailedStart`: rarely set, and
    /// every room in memory keeps a lifecycle).
    @OutOfLine var termination: Termination? = nil
    var gate = InputGate<Waiter>()
    var startWaiters: [(generation: UInt64, waiter: Waiter)] = []
    /// Waiters for the running stop: events (which count as waiting) and terminations.
    var stopWaiters: [(waiter: Waiter, isEvent: Bool)] = []
    /// Events resumed to look again that have not yet done so (they still count as waiting).
    var inTransit = 0
    /// A soft termination waiting until the room is drained.
    var drainWaiter: Waiter?
    /// The last start that failed, for an event that parks after it failed.
    @OutOfLine var lastFailedStart: (generation: UInt64, error: any Error)? = nil

    init(gated: Bool, hibernates: Bool, idleAfter: TimeInterval) {
        self.gated = gated
        self.hibernates = hibernates
        self.idleAfter = idleAfter
    }

    /// Events waiting for the room: for a start, a stop or the gate, or resumed to look again.
    var waiting: Int { startWaiters.count + stopWaiters.count { $0.isEvent } + gate.waiting + inTransit }

    /// The live instance, if any.
    var instance: Instance? {
        if case .live(let instance) = phase { return instance }
        return nil
    }

    /// Whether no instance is live or on its way and no event holds the room.
    var isIdle: Bool {
        if case .idle = phase { return inFlight == 0 }
        return false
    }

    // MARK: Events

    /// What an event waits for.
    enum WaitFor: Equatable {
        /// The start of this generation.
        case start(UInt64)
        /// The running stop.
        case stop
        /// The input gate.
        case gate
    }

    /// What `acquire` says to do.
    enum Acquire {
        /// Run the event on this instance (holding the gate in this epoch, if gated).
        case ready(Instance, gateEpoch: UInt64?)
        /// Wait for this: `park` a waiter.
        case wait(WaitFor)
        /// Start an instance: the caller reserved the start of `generation`. It begins the
        /// activation if `needsActivation` (`activationBegun`) and runs the start, or gives the
        /// reservation back with `abortStart`; then it waits for the start like other events.
        case start(generation: UInt64, needsActivation: Bool)
        /// The room runs another activation than the one expected.
        case refused
    }

    /// An event wants the instance. `held` is the gate epoch this event was handed while it
    /// waited (updated when it enters the gate); `returning` says it was resumed to look again.
    mutating func acquire(expecting: UInt64?, holding held: inout UInt64?, returning: Bool) -> Acquire {
        if returning { inTransit -= 1 }
        if let epoch = held, epoch != gate.epoch { held = nil }
        switch phase {
        case .live(let instance):
            if gated, held == nil {
                guard let epoch = gate.tryEnter() else { return .wait(.gate) }
                held = epoch
            }
            inFlight += 1
            return .ready(instance, gateEpoch: held)
        case .starting(let generation):
            return .wait(.start(generation))
        case .stopping:
            return .wait(.stop)
        case .idle:
            if let expecting, let activation, expecting != activation { return .refused }
            generation &+= 1
            phase = .starting(generation)
            return .start(generation: generation, needsActivation: activation == nil)
        }
    }

    /// Parks `waiter` until what it waits for happens; returns nil when parked, or how to resume
    /// it at once when that already happened (`.retry`, or the failure of its start).
    mutating func park(_ waiter: Waiter, for reason: WaitFor, holding held: UInt64?) -> Wake? {
        switch (reason, phase) {
        case (.gate, .live) where gated && held == nil && gate.isHeld:
            gate.enqueue(waiter)
        case (.start(let generation), .starting(let current)) where generation == current:
            startWaiters.append((generation, waiter))
        case (.start(let generation), _) where lastFailedStart?.generation == generation:
            return .failed(lastFailedStart!.error)
        case (.stop, .stopping):
            stopWaiters.append((waiter, true))
        default:
            inTransit += 1
            return .retry
        }
        return nil
    }

    /// The reserved start of `generation` did not begin (a limit refused it, or the directory
    /// holds no such activation): the room is idle again; returns the waiters to resume with `.retry`.
    mutating func abortStart(_ generation: UInt64) -> [Waiter] {
        guard case .starting(let current) = phase, current == generation else { return [] }
        phase = .idle
        return takeStartWaiters(generation, retrying: true)
    }

    /// The reserved start runs `activation` (begun or adopted in the directory).
    mutating func activationBegun(_ activation: UInt64, pinned: Bool) {
        self.activation = activation
        self.pinned = pinned
    }

    /// What a finished start leads to.
    struct Started {
        /// Whether the instance is live now (false: the room was stopped meanwhile; discard it).
        var installed: Bool
        /// Whether the start woke a hibernated room.
        var wasHibernated: Bool
        /// Waiters to resume: with `.retry` when installed, else with the discard error.
        var waiters: [Waiter]
    }

    /// The start of `generation` produced `instance`.
    mutating func startSucceeded(_ generation: UInt64, _ instance: Instance) -> Started {
        guard case .starting(let current) = phase, current == generation else {
            return Started(installed: false, wasHibernated: false, waiters: takeStartWaiters(generation, retrying: false))
        }
        phase = .live(instance)
        defer { hibernated = false }
        return Started(installed: true, wasHibernated: hibernated, waiters: takeStartWaiters(generation, retrying: true))
    }

    /// What a failed start leads to.
    struct StartFailed {
        /// The activation that ends with it (reported as ended by the caller).
        var endedActivation: UInt64?
        /// Waiters to resume with the start's error.
        var waiters: [Waiter]
        /// A soft termination to resume.
        var drained: Waiter?
    }

    /// The start of `generation` failed with `error` (`onStart` threw or timed out).
    mutating func startFailed(_ generation: UInt64, error: any Error) -> StartFailed {
        lastFailedStart = (generation, error)
        let waiters = takeStartWaiters(generation, retrying: false)
        guard case .starting(let current) = phase, current == generation else {
            return StartFailed(endedActivation: nil, waiters: waiters, drained: nil)
        }
        phase = .idle
        let ended = activation
        activation = nil
        pinned = false
        return StartFailed(endedActivation: ended, waiters: waiters, drained: drainWaiter.take())
    }

    private mutating func takeStartWaiters(_ generation: UInt64, retrying: Bool) -> [Waiter] {
        guard !startWaiters.isEmpty else { return [] }
        var taken: [Waiter] = []
        startWaiters.removeAll { entry in
            guard entry.generation == generation else { return false }
            taken.append(entry.waiter)
            return true
        }
        if retrying { inTransit += taken.count }
        return taken
    }

    /// What ending an event leads to.
    struct Released {
        /// The next event, handed the gate in this epoch: resume it with `.entered`.
        var handOver: (waiter: Waiter, epoch: UInt64)?
        /// Arm the idle timer for this time.
        var idleDeadline: Date?
        /// A soft termination to resume: the room is drained.
        var drained: Waiter?
    }

    /// An event that held the gate in `gateEpoch` (if any) ended at `now`.
    mutating func release(gateEpoch: UInt64?, now: Date, connections: () -> Int) -> Released {
        inFlight -= 1
        var released = Released()
        if let epoch = gateEpoch, case .handOver(let waiter) = gate.leave(epoch: epoch) {
            inTransit += 1
            released.handOver = (waiter, gate.epoch)
        }
        guard inFlight == 0 else { return released }
        released.drained = takeDrainWaiter(connections: connections)
        lastActivity = now
        guard !idleTimerArmed else { return released }
        idleTimerArmed = true
        released.idleDeadline = now.addingTimeInterval(idleAfter)
        return released
    }

    /// An event gave up the gate it was handed without running (its start failed): the next
    /// waiter, if any, gets it.
    mutating func leaveGate(_ epoch: UInt64) -> (waiter: Waiter, epoch: UInt64)? {
        guard case .handOver(let waiter) = gate.leave(epoch: epoch) else { return nil }
        inTransit += 1
        return (waiter, gate.epoch)
    }

    /// A resumed event failed without looking again (its start failed): it no longer waits.
    mutating func gaveUp(connections: () -> Int) -> Waiter? {
        takeDrainWaiter(connections: connections)
    }

    /// The soft termination's waiter, if it waits and nothing holds or waits for the room and
    /// it has no connections.
    mutating func takeDrainWaiter(connections: () -> Int) -> Waiter? {
        guard drainWaiter != nil, termination != nil, inFlight == 0, waiting == 0, connections() == 0 else { return nil }
        return drainWaiter.take()
    }

    /// Parks a soft termination until the room is drained; returns `.retry` when it is drained already.
    mutating func parkUntilDrained(_ waiter: Waiter, connections: () -> Int) -> Wake? {
        guard inFlight > 0 || waiting > 0 || connections() > 0 else { return .retry }
        drainWaiter = waiter
        return nil
    }
}

/// What a parked event of a room is told when it is resumed.
enum RoomWake: Sendable {
    /// Look again: the start or stop it waited for is over, or a hard stop reset the gate.
    case retry
    /// The input gate is this event's now, in this epoch.
    case entered(UInt64)
    /// The start it waited for failed.
    case failed(any Error)
}
