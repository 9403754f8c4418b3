import Foundation
@testable import PartyRuntime
import PartyServer
import Testing

/// `RoomLifecycle` driven by sequences of events, without sockets, tasks or clocks: instances are
/// strings, waiters numbers, time fixed dates.
@Suite("Room lifecycle (state machine)")
struct RoomLifecycleTests {
    typealias Lifecycle = RoomLifecycle<String, Int>

    private static let t0 = Date(timeIntervalSince1970: 1_000_000)
    private static func lifecycle(gated: Bool = true, hibernates: Bool = true) -> Lifecycle {
        Lifecycle(gated: gated, hibernates: hibernates, idleAfter: 10)
    }

    private struct Boom: Error {}

    /// Acquires without having waited; returns the step.
    private static func acquire(_ room: inout Lifecycle, expecting: UInt64? = nil, held: inout UInt64?, returning: Bool = false) -> Lifecycle.Acquire {
        room.acquire(expecting: expecting, holding: &held, returning: returning)
    }

    /// Starts `instance` from idle: reserves the start, begins activation 1, succeeds.
    private static func started(_ instance: String = "A") -> Lifecycle {
        var room = lifecycle()
        var held: UInt64?
        guard case .start(let generation, true) = acquire(&room, held: &held) else {
            Issue.record("an idle room starts")
            return room
        }
        room.activationBegun(1, pinned: false)
        _ = room.startSucceeded(generation, instance)
        return room
    }

    @Test("the first event reserves the start; events meanwhile wait for it and look again once it is live")
    func startAndWaiters() {
        var room = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, needsActivation: true) = Self.acquire(&room, held: &held) else { Issue.record("expected a start"); return }
        room.activationBegun(7, pinned: false)
        var other: UInt64?
        guard case .wait(.start(generation)) = Self.acquire(&room, held: &other) else { Issue.record("a second event waits for the start"); return }
        #expect(room.park(1, for: .start(generation), holding: nil) == nil)
        #expect(room.park(2, for: .start(generation), holding: nil) == nil)
        #expect(room.waiting == 2)
        let started = room.startSucceeded(generation, "A")
        #expect(started.installed)
        #expect(started.waiters == [1, 2])
        // Resumed to look again: they still count as waiting until they do.
        #expect(room.waiting == 2)
        guard case .ready("A", gateEpoch: 0) = Self.acquire(&room, held: &other, returning: true) else { Issue.record("ready with the gate"); return }
        var third: UInt64?
        guard case .wait(.gate) = Self.acquire(&room, held: &third, returning: true) else { Issue.record("the gate is held"); return }
        #expect(room.waiting == 0)
        #expect(room.activation == 7)
    }

    @Test("the input gate hands over in arrival order; the last release frees it and arms the idle timer once")
    func gateHandOver() {
        var room = Self.started()
        var first: UInt64?, second: UInt64?, third: UInt64?
        guard case .ready(_, let epoch?) = Self.acquire(&room, held: &first) else { Issue.record("first enters"); return }
        guard case .wait(.gate) = Self.acquire(&room, held: &second) else { Issue.record("second waits"); return }
        #expect(room.park(2, for: .gate, holding: nil) == nil)
        guard case .wait(.gate) = Self.acquire(&room, held: &third) else { Issue.record("third waits"); return }
        #expect(room.park(3, for: .gate, holding: nil) == nil)
        let r1 = room.release(gateEpoch: epoch, now: Self.t0, connections: { 0 })
        #expect(r1.handOver?.waiter == 2)
        #expect(r1.idleDeadline == Self.t0.addingTimeInterval(10))
        second = r1.handOver?.epoch
        guard case .ready = Self.acquire(&room, held: &second, returning: true) else { Issue.record("second runs"); return }
        let r2 = room.release(gateEpoch: second, now: Self.t0, connections: { 0 })
        #expect(r2.handOver?.waiter == 3)
        #expect(r2.idleDeadline == nil, "the timer is armed already")
        third = r2.handOver?.epoch
        guard case .ready = Self.acquire(&room, held: &third, returning: true) else { Issue.record("third runs"); return }
        let r3 = room.release(gateEpoch: third, now: Self.t0, connections: { 0 })
        #expect(r3.handOver == nil)
        #expect(!room.gate.isHeld)
    }

    @Test("without the input gate, events run together")
    func ungated() {
        var room = Lifecycle(gated: false, hibernates: false, idleAfter: 10)
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        room.activationBegun(1, pinned: false)
        _ = room.startSucceeded(generation, "A")
        var a: UInt64?, b: UInt64?
        guard case .ready(_, gateEpoch: nil) = Self.acquire(&room, held: &a), case .ready(_, gateEpoch: nil) = Self.acquire(&room, held: &b) else {
            Issue.record("both run")
            return
        }
        #expect(room.inFlight == 2)
    }

    @Test("the idle timer re-arms while events are recent, then hibernates; an event racing the hibernation waits for it and wakes the room")
    func eventRacesHibernation() {
        var room = Self.started()
        var held: UInt64?
        guard case .ready(_, let epoch) = Self.acquire(&room, held: &held) else { return }
        _ = room.release(gateEpoch: epoch, now: Self.t0, connections: { 1 })
        guard case .rearm(let due) = room.idleTimerFired(now: Self.t0.addingTimeInterval(5), connections: { 1 }) else { Issue.record("too early"); return }
        #expect(due == Self.t0.addingTimeInterval(10))
        guard case .stop("A", hibernate: true) = room.idleTimerFired(now: due, connections: { 1 }) else { Issue.record("hibernates"); return }
        // A message arrives while the snapshot is written.
        var late: UInt64?
        guard case .wait(.stop) = Self.acquire(&room, held: &late) else { Issue.record("waits for the stop"); return }
        #expect(room.park(9, for: .stop, holding: nil) == nil)
        let stopped = room.stopFinished(hibernated: true)
        #expect(stopped.waiters == [9])
        #expect(stopped.hibernatedActivation == 1)
        #expect(room.hibernated)
        // It wakes the room within the same activation.
        guard case .start(let generation, needsActivation: false) = Self.acquire(&room, held: &late, returning: true) else { Issue.record("wake"); return }
        let woke = room.startSucceeded(generation, "B")
        #expect(woke.wasHibernated)
        #expect(!room.hibernated)
    }

    @Test("an idle room without hibernation is evicted only without connections, and eviction ends its activation")
    func eviction() {
        var room = Lifecycle(gated: true, hibernates: false, idleAfter: 10)
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        room.activationBegun(3, pinned: false)
        _ = room.startSucceeded(generation, "A")
        guard case .ready(_, let epoch) = Self.acquire(&room, held: &held, returning: false) else { return }
        _ = room.release(gateEpoch: epoch, now: Self.t0, connections: { 0 })
        guard case .nothing = room.idleTimerFired(now: Self.t0.addingTimeInterval(11), connections: { 1 }) else { Issue.record("kept while connected"); return }
        guard case .stop(_, hibernate: false) = room.idleTimerFired(now: Self.t0.addingTimeInterval(11), connections: { 0 }) else { Issue.record("evicted"); return }
        let stopped = room.stopFinished(hibernated: false)
        #expect(stopped.endedActivation == 3)
        #expect(room.activation == nil)
        #expect(room.isIdle)
    }

    @Test("a failed start fails its waiters, also one that parks after it failed, and ends the activation")
    func failedStart() {
        var room = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        room.activationBegun(1, pinned: true)
        #expect(room.park(1, for: .start(generation), holding: nil) == nil)
        let failed = room.startFailed(generation, error: Boom())
        #expect(failed.endedActivation == 1)
        #expect(failed.waiters == [1])
        #expect(!room.pinned)
        guard case .failed(let error)? = room.park(2, for: .start(generation), holding: nil) else { Issue.record("a late waiter fails too"); return }
        #expect(error is Boom)
        // The next event starts a new activation.
        var next: UInt64?
        guard case .start(_, needsActivation: true) = Self.acquire(&room, held: &next) else { Issue.record("starts anew"); return }
    }

    @Test("a limit refusing the reserved start gives it back: the room is idle and its waiters look again")
    func abortedStart() {
        var room = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        #expect(room.park(4, for: .start(generation), holding: nil) == nil)
        #expect(room.abortStart(generation) == [4])
        #expect(room.isIdle)
    }

    @Test("a hard termination during a start discards the instance the start produces and fails its waiters")
    func terminateDuringStart() {
        var room = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        room.activationBegun(5, pinned: true)
        #expect(room.park(1, for: .start(generation), holding: nil) == nil)
        guard case .stopped(let stop) = room.terminateHard(expected: 5, .init(code: 1001, reason: "x")) else { Issue.record("stops at once"); return }
        #expect(stop.activation == 5)
        #expect(!stop.wasLive)
        room.hardTerminationDone()
        let started = room.startSucceeded(generation, "A")
        #expect(!started.installed)
        #expect(started.waiters == [1])
        #expect(room.instance == nil)
        #expect(room.activation == nil)
    }

    @Test("a hard termination frees the gate while a hook runs: waiters look again and the old holder's release changes nothing")
    func hardTerminationFreesGate() {
        var room = Self.started()
        var a: UInt64?, b: UInt64?
        guard case .ready(_, let epoch) = Self.acquire(&room, held: &a) else { return }
        guard case .wait(.gate) = Self.acquire(&room, held: &b) else { return }
        #expect(room.park(2, for: .gate, holding: nil) == nil)
        guard case .stopped(let stop) = room.terminateHard(expected: nil, .init(code: 1001, reason: "x")) else { return }
        #expect(stop.wasLive)
        #expect(stop.gateWaiters == [2])
        room.hardTerminationDone()
        // The waiter starts a new activation; the old hook's release does not touch the new gate.
        guard case .start(let generation, needsActivation: true) = Self.acquire(&room, held: &b, returning: true) else { Issue.record("new start"); return }
        room.activationBegun(2, pinned: false)
        _ = room.startSucceeded(generation, "B")
        var c: UInt64?
        guard case .ready("B", let newEpoch) = Self.acquire(&room, held: &c) else { return }
        _ = room.release(gateEpoch: epoch, now: Self.t0, connections: { 0 })
        #expect(room.gate.isHeld, "the stale release left the new holder's gate alone")
        _ = room.release(gateEpoch: newEpoch, now: Self.t0, connections: { 0 })
        #expect(!room.gate.isHeld)
    }

    @Test("a soft termination drains: it waits for hooks, waiters and connections, then finishes; events during the final stop wake a new activation")
    func softTermination() {
        var room = Self.started()
        var held: UInt64?
        guard case .ready(_, let epoch) = Self.acquire(&room, held: &held) else { return }
        #expect(room.beginSoftTermination(expected: 1, .init(code: 1001, reason: "terminated")) == 1)
        #expect(room.beginSoftTermination(expected: 1, .init(code: 1001, reason: "again")) == nil)
        guard case .drain = room.softTerminationStep(1, connections: { 1 }) else { Issue.record("a hook runs"); return }
        #expect(room.parkUntilDrained(100, connections: { 1 }) == nil)
        // The hook ends while the connection is still open: not drained yet.
        #expect(room.release(gateEpoch: epoch, now: Self.t0, connections: { 1 }).drained == nil)
        // The connection closed: its onClose is an event that ends with the room drained.
        var close: UInt64?
        guard case .ready(_, let closeEpoch) = Self.acquire(&room, held: &close) else { return }
        #expect(room.release(gateEpoch: closeEpoch, now: Self.t0, connections: { 0 }).drained == 100)
        guard case .finish("A") = room.softTerminationStep(1, connections: { 0 }) else { Issue.record("finishes"); return }
        var late: UInt64?
        guard case .wait(.stop) = Self.acquire(&room, held: &late) else { return }
        #expect(room.park(7, for: .stop, holding: nil) == nil)
        let finished = room.terminationFinished()
        #expect(finished.waiters == [7])
        #expect(room.activation == nil)
        #expect(room.termination == nil)
        guard case .start(_, needsActivation: true) = Self.acquire(&room, held: &late, returning: true) else { Issue.record("a new activation"); return }
    }

    @Test("a soft termination whose activation ended meanwhile (its start failed) ends at once")
    func softTerminationOfEndedActivation() {
        var room = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&room, held: &held) else { return }
        room.activationBegun(1, pinned: false)
        #expect(room.beginSoftTermination(expected: nil, .init(code: 1001, reason: "x")) == 1)
        _ = room.startFailed(generation, error: Boom())
        guard case .ended = room.softTerminationStep(1, connections: { 0 }) else { Issue.record("ended"); return }
        #expect(room.termination == nil)
    }

    @Test("a wake during shutdown: hibernation now only takes an idle live room, and an event arriving meanwhile waits for the stop")
    func wakeDuringShutdown() {
        var room = Self.started()
        var held: UInt64?
        guard case .ready(_, let epoch) = Self.acquire(&room, held: &held) else { return }
        #expect(room.hibernateNow() == nil, "a hook runs")
        _ = room.release(gateEpoch: epoch, now: Self.t0, connections: { 0 })
        #expect(room.hibernateNow() == "A")
        var late: UInt64?
        guard case .wait(.stop) = Self.acquire(&room, held: &late) else { return }
        #expect(room.park(3, for: .stop, holding: nil) == nil)
        #expect(room.stopFinished(hibernated: true).waiters == [3])
    }

    @Test("a failed snapshot keeps the instance live and re-arms the idle timer")
    func snapshotFailure() {
        var room = Self.started()
        guard room.hibernateNow() != nil else { return }
        let (waiters, deadline) = room.snapshotFailed("A", now: Self.t0)
        #expect(waiters.isEmpty)
        #expect(deadline == Self.t0.addingTimeInterval(10))
        #expect(room.instance == "A")
    }

    @Test("a failed write drops the live instance within the activation; a start in progress discards its instance")
    func writeFailure() {
        var room = Self.started()
        let dropped = room.writeFailed()
        #expect(dropped)
        #expect(room.instance == nil)
        #expect(room.activation == 1)
        var held: UInt64?
        guard case .start(let generation, needsActivation: false) = Self.acquire(&room, held: &held) else { Issue.record("restarts"); return }
        let droppedWhileStarting = room.writeFailed()
        #expect(!droppedWhileStarting)
        let started = room.startSucceeded(generation, "B")
        #expect(!started.installed)
    }

    @Test("registry: a pinned (spawned) room stays; retiring an unpinned hibernated room ends its activation")
    func registry() {
        var room = Self.started()
        room.addUser()
        let removable = room.removeUser()
        #expect(!removable, "live")
        guard room.hibernateNow() != nil else { return }
        _ = room.stopFinished(hibernated: true)
        #expect(room.isUnused)
        let retired = room.retire()
        #expect(retired.endedActivation == 1)
        #expect(retired.wasHibernated)

        var pinned = Self.lifecycle()
        var held: UInt64?
        guard case .start(let generation, _) = Self.acquire(&pinned, held: &held) else { return }
        pinned.activationBegun(1, pinned: true)
        _ = pinned.startSucceeded(generation, "A")
        guard pinned.hibernateNow() != nil else { return }
        _ = pinned.stopFinished(hibernated: true)
        #expect(!pinned.isUnused)
    }

    @Test("an event expecting another activation is refused")
    func expectingRefused() {
        var room = Self.started()
        guard room.hibernateNow() != nil else { return }
        _ = room.stopFinished(hibernated: true)
        var held: UInt64?
        guard case .refused = Self.acquire(&room, expecting: 2, held: &held) else { Issue.record("refused"); return }
    }
}
