import Foundation

extension RoomLifecycle {
    // MARK: Idle timer and hibernation

    /// What the idle timer leads to.
    enum Idle {
        case nothing
        /// Not idle long enough: arm the timer again for this time.
        case rearm(Date)
        /// Release the instance (hibernating it, or evicting it).
        case stop(Instance, hibernate: Bool)
    }

    /// The idle timer fired at `now`.
    mutating func idleTimerFired(now: Date, connections: () -> Int) -> Idle {
        idleTimerArmed = false
        guard case .live(let instance) = phase, inFlight == 0, !gate.isHeld, termination == nil else { return .nothing }
        let due = lastActivity.addingTimeInterval(idleAfter)
        if now < due {
            idleTimerArmed = true
            return .rearm(due)
        }
        guard hibernates || (connections() == 0 && !pinned) else { return .nothing }
        phase = .stopping
        return .stop(instance, hibernate: hibernates)
    }

    /// Hibernation now (graceful shutdown, tests): the instance to stop, if it is live and idle.
    mutating func hibernateNow() -> Instance? {
        guard case .live(let instance) = phase, inFlight == 0, !gate.isHeld, termination == nil else { return nil }
        phase = .stopping
        return instance
    }

    /// What a finished stop leads to.
    struct Stopped {
        /// Events that waited for the stop: resume them with `.retry`.
        var waiters: [Waiter]
        /// The activation now hibernated (report it), if it hibernated.
        var hibernatedActivation: UInt64?
        /// The activation eviction ended (`swept`), if it was evicted.
        var endedActivation: UInt64?
    }

    /// The stop released the instance: hibernated, or evicted (which ends the activation).
    mutating func stopFinished(hibernated: Bool) -> Stopped {
        phase = .idle
        self.hibernated = hibernated
        var stopped = Stopped(waiters: takeStopWaiters())
        if hibernated {
            stopped.hibernatedActivation = activation
        } else if let ended = activation {
            stopped.endedActivation = ended
            activation = nil
            pinned = false
        }
        return stopped
    }

    /// The snapshot failed: the instance stays live and the idle timer tries again.
    mutating func snapshotFailed(_ instance: Instance, now: Date) -> (waiters: [Waiter], idleDeadline: Date?) {
        phase = .live(instance)
        lastActivity = now
        let waiters = takeStopWaiters()
        guard !idleTimerArmed else { return (waiters, nil) }
        idleTimerArmed = true
        return (waiters, now.addingTimeInterval(idleAfter))
    }

    /// A write of the room failed while it stopped: the instance is dropped without a snapshot
    /// (the activation goes on; the next event starts a new instance).
    mutating func stopDiscarded() -> [Waiter] {
        phase = .idle
        hibernated = false
        return takeStopWaiters()
    }

    /// A write of the room failed to commit: the live instance (if any) is dropped; a start in
    /// progress finds the room idle and discards its instance. Returns whether a live one was dropped.
    mutating func writeFailed() -> Bool {
        switch phase {
        case .live:
            phase = .idle
            hibernated = false
            return true
        case .starting:
            phase = .idle
            return false
        case .stopping, .idle:
            return false
        }
    }

    private mutating func takeStopWaiters() -> [Waiter] {
        defer { stopWaiters.removeAll() }
        inTransit += stopWaiters.count { $0.isEvent }
        return stopWaiters.map(\.waiter)
    }

    // MARK: Registry

    /// One more connection, request or alarm run uses the room.
    mutating func addUser() {
        users += 1
    }

    /// One user is done; returns whether the room may leave the registry.
    mutating func removeUser() -> Bool {
        users -= 1
        return isUnused
    }

    /// Whether nothing uses the room, no instance is live and it is not pinned.
    var isUnused: Bool { users == 0 && !pinned && isIdle }

    /// The room leaves the registry: an activation still running (hibernated without
    /// connections) ends (`swept`). Returns it, and whether the room was hibernated.
    mutating func retire() -> (endedActivation: UInt64?, wasHibernated: Bool) {
        defer {
            hibernated = false
            activation = nil
        }
        return (activation, hibernated)
    }

    // MARK: Termination

    /// A soft termination of `expected` (or of whichever activation runs) begins; returns the
    /// activation, or nil when none runs or one already terminates.
    mutating func beginSoftTermination(expected: UInt64?, _ termination: Termination) -> UInt64? {
        guard let activation, expected == nil || expected == activation, self.termination == nil else { return nil }
        self.termination = termination
        return activation
    }

    /// The next step of a soft termination.
    enum SoftStep {
        /// The activation ended meanwhile (its start failed, or a hard termination took over).
        case ended
        /// A stop runs: park until it is over.
        case waitForStop
        /// Events still hold or wait for the room, or connections are open: park until drained.
        case drain
        /// Drained: release this instance (if live), write the final snapshot, then `terminationFinished`.
        case finish(Instance?)
    }

    /// Looks at the room during the soft termination of `activation`.
    mutating func softTerminationStep(_ activation: UInt64, connections: () -> Int) -> SoftStep {
        guard self.activation == activation else {
            termination = nil
            return .ended
        }
        if case .stopping = phase { return .waitForStop }
        guard inFlight == 0, waiting == 0, connections() == 0 else { return .drain }
        let instance = self.instance
        phase = .stopping
        return .finish(instance)
    }

    /// Parks a termination until the running stop is over; returns `.retry` when it is over already.
    mutating func parkUntilStopped(_ waiter: Waiter) -> Wake? {
        guard case .stopping = phase else { return .retry }
        stopWaiters.append((waiter, false))
        return nil
    }

    /// The soft termination of `activation` finished: the room is idle, its activation over.
    /// Returns whether it was hibernated (a room terminated while hibernated) and the events
    /// that waited for the final stop.
    mutating func terminationFinished() -> (wasHibernated: Bool, waiters: [Waiter]) {
        phase = .idle
        defer { hibernated = false }
        activation = nil
        pinned = false
        termination = nil
        return (hibernated, takeStopWaiters())
    }

    /// What a hard termination leads to.
    enum Hard {
        /// No such activation runs.
        case none
        /// A stop runs: park until it is over, then try again.
        case waitForStop
        /// Stopped at once: drop every connection, then `hardTerminationDone()`.
        case stopped(HardStop)
    }

    /// What a hard termination stopped.
    struct HardStop {
        /// The activation that ended.
        var activation: UInt64
        var wasLive: Bool
        var wasHibernated: Bool
        /// A soft termination that waited to drain.
        var drained: Waiter?
        /// Events that waited for the gate: resume them with `.retry`.
        var gateWaiters: [Waiter]
    }

    /// A hard termination of `expected` (or of whichever activation runs): the instance is
    /// released at once (hooks still running finish on it; a start in progress discards its
    /// instance), the gate is freed, and connections registering until they are all dropped are
    /// closed with `termination`.
    mutating func terminateHard(expected: UInt64?, _ termination: Termination) -> Hard {
        guard let activation, expected == nil || expected == activation else { return .none }
        if case .stopping = phase { return .waitForStop }
        var wasLive = false
        if case .live = phase { wasLive = true }
        let wasHibernated = hibernated
        phase = .idle
        hibernated = false
        self.activation = nil
        pinned = false
        self.termination = termination
        let gateWaiters = Array(gate.reset())
        inTransit += gateWaiters.count
        return .stopped(HardStop(activation: activation, wasLive: wasLive, wasHibernated: wasHibernated, drained: drainWaiter.take(), gateWaiters: gateWaiters))
    }

    /// Every connection of the hard termination was dropped.
    mutating func hardTerminationDone() {
        termination = nil
    }
}
