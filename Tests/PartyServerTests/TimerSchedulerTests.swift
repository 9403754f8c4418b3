import Foundation
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Timer scheduler", .serialized, .timeLimit(.minutes(3)))
struct TimerSchedulerTests {
    @Test("fires due timers in deadline order, equal deadlines in scheduling order")
    func firesInDeadlineOrder() async throws {
        let harness = SchedulerHarness<String>(maxConcurrentFirings: 1)
        let start = harness.clock.now
        for (key, offset) in [("e", 50.0), ("b", 20), ("d", 40), ("a", 10), ("c2", 30), ("c1", 30)] {
            harness.scheduler.schedule(key, at: start + offset)
        }
        harness.scheduler.schedule("c1", at: start + 30)  // rescheduled: now after c2
        harness.start()
        try await harness.waitAsleep(until: start + 10)
        harness.clock.advance(by: .seconds(60))
        try await harness.waitFired(6)
        try await harness.stop()
        #expect(harness.fired == ["a", "b", "c2", "c1", "d", "e"])
    }

    @Test("replacing a timer with an earlier deadline wakes the loop and fires it earlier")
    func replaceEarlier() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        harness.scheduler.schedule("a", at: start + 10)
        harness.scheduler.schedule("b", at: start + 20)
        harness.start()
        try await harness.waitAsleep(until: start + 10)
        let wakeups = harness.scheduler.wakeups
        harness.scheduler.schedule("b", at: start + 5)
        #expect(harness.scheduler.wakeups == wakeups + 1)
        #expect(harness.scheduler.deadline(for: "b") == start + 5)
        try await harness.waitAsleep(until: start + 5)
        harness.clock.advance(to: start + 6)
        try await harness.waitFired(1)
        try await harness.waitAsleep(until: start + 10)
        harness.clock.advance(to: start + 30)
        try await harness.waitFired(2)
        try await harness.stop()
        #expect(harness.fired == ["b", "a"])
    }

    @Test("replacing a timer with a later deadline leaves the loop asleep and fires it later")
    func replaceLater() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        harness.scheduler.schedule("a", at: start + 10)
        harness.scheduler.schedule("b", at: start + 20)
        harness.start()
        try await harness.waitAsleep(until: start + 10)
        let wakeups = harness.scheduler.wakeups
        harness.scheduler.schedule("a", at: start + 30)
        #expect(harness.scheduler.wakeups == wakeups)
        #expect(harness.clock.sleeperDeadlines == [start + 10])
        #expect(harness.scheduler.deadline(for: "a") == start + 30)
        harness.clock.advance(to: start + 15)
        // The loop wakes at the old deadline, finds nothing due and re-aims at "b".
        try await harness.waitAsleep(until: start + 20)
        #expect(harness.fired.isEmpty)
        harness.clock.advance(to: start + 25)
        try await harness.waitFired(1)
        try await harness.waitAsleep(until: start + 30)
        harness.clock.advance(to: start + 35)
        try await harness.waitFired(2)
        try await harness.stop()
        #expect(harness.fired == ["b", "a"])
        #expect(harness.scheduler.count == 0)
    }

    @Test("a cancelled timer never fires")
    func cancelPreventsFiring() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        harness.scheduler.schedule("a", at: start + 10)
        harness.scheduler.schedule("b", at: start + 10)
        harness.scheduler.schedule("c", at: start + 5)
        harness.start()
        try await harness.waitAsleep(until: start + 5)
        harness.scheduler.cancel("a")
        harness.scheduler.cancel("c")
        harness.scheduler.cancel("never-scheduled")
        #expect(harness.scheduler.deadline(for: "a") == nil)
        #expect(harness.scheduler.count == 1)
        harness.clock.advance(to: start + 60)
        try await harness.waitFired(1)
        // `run` returns only after every firing it started has finished: the log is final.
        try await harness.stop()
        #expect(harness.fired == ["b"])
        #expect(harness.scheduler.count == 0)
    }

    @Test("a deadline in the past fires at once, whether scheduled before or while run is running")
    func pastDeadlineFiresAtOnce() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        harness.scheduler.schedule("before-run", at: start - 60)
        harness.scheduler.schedule("later", at: start + 3600)
        harness.start()
        try await harness.waitFired(1)
        try await harness.waitAsleep(until: start + 3600)
        harness.scheduler.schedule("while-running", at: start - 1)
        try await harness.waitFired(2)
        harness.scheduler.schedule("exactly-now", at: harness.clock.now)
        try await harness.waitFired(3)
        #expect(harness.clock.now == start)
        try await harness.stop()
        #expect(harness.fired == ["before-run", "while-running", "exactly-now"])
    }

    @Test("a key rescheduled from inside its own firing fires again at its new deadline")
    func rescheduleFromFire() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        let firings = Atomic<Int>(0)
        harness.start { [scheduler = harness.scheduler, clock = harness.clock] key in
            if firings.add(1, ordering: .sequentiallyConsistent).newValue == 1 {
                scheduler.schedule(key, at: clock.now + 5)
            }
        }
        harness.scheduler.schedule("alarm", at: start + 1)
        try await harness.waitAsleep(until: start + 1)
        harness.clock.advance(to: start + 1)
        try await harness.waitFired(1)
        try await harness.waitAsleep(until: start + 6)
        #expect(harness.scheduler.deadline(for: "alarm") == start + 6)
        harness.clock.advance(to: start + 6)
        try await harness.waitFired(2)
        // Scheduled again later, from outside: fires a third time.
        harness.scheduler.schedule("alarm", at: start + 9)
        try await harness.waitAsleep(until: start + 9)
        harness.clock.advance(to: start + 9)
        try await harness.waitFired(3)
        try await harness.stop()
        #expect(harness.fired == ["alarm", "alarm", "alarm"])
    }

    @Test("nothing fires before its deadline: just before, nothing; just after, it fires")
    func nothingFiresEarly() async throws {
        let harness = SchedulerHarness<String>()
        let deadline = harness.clock.now + 10
        harness.scheduler.schedule("a", at: deadline)
        harness.start()
        try await harness.waitAsleep(until: deadline)
        let wakeups = harness.scheduler.wakeups
        harness.clock.advance(to: deadline - 0.001)
        // The clock did not resume the loop's sleep, so the loop is still parked.
        #expect(harness.clock.sleeperDeadlines == [deadline])
        #expect(harness.scheduler.wakeups == wakeups)
        #expect(harness.fired.isEmpty)
        #expect(harness.scheduler.deadline(for: "a") == deadline)
        harness.clock.advance(to: deadline + 0.001)
        try await harness.waitFired(1)
        try await harness.stop()
        #expect(harness.fired == ["a"])
    }

    @Test("stop ends run promptly while it sleeps, cancelling its sleep")
    func stopEndsRun() async throws {
        let harness = SchedulerHarness<String>()
        let start = harness.clock.now
        harness.scheduler.schedule("far", at: start + 86_400)
        harness.start()
        try await harness.waitAsleep(until: start + 86_400)
        try await harness.stop(timeout: .seconds(5))
        #expect(harness.clock.sleepers == 0)
        #expect(harness.fired.isEmpty)
        #expect(harness.scheduler.count == 1)
    }

    @Test("stop lets run return only after the firings already started have finished")
    func stopWaitsForStartedFirings() async throws {
        let harness = SchedulerHarness<String>()
        let gate = Gate()
        harness.start { _ in await gate.wait() }
        harness.scheduler.schedule("slow", at: harness.clock.now)
        try await harness.waitFired(1)
        harness.scheduler.stop()
        #expect(!harness.hasReturned)
        await gate.open()
        try await harness.waitReturned()
        #expect(harness.firingsFinishedAtReturn == 1)
    }

    @Test("cancelling the task running the loop ends run")
    func cancellationEndsRun() async throws {
        let harness = SchedulerHarness<String>()
        harness.scheduler.schedule("far", at: harness.clock.now + 60)
        harness.start()
        try await harness.waitAsleep(until: harness.clock.now + 60)
        harness.cancelRun()
        try await harness.waitReturned(timeout: .seconds(5))
        #expect(harness.clock.sleepers == 0)
        #expect(harness.fired.isEmpty)
    }

    @Test("fires on the system clock, re-aiming for an earlier deadline")
    func firesOnSystemClock() async throws {
        let scheduler = TimerScheduler<String>(clock: SystemClock())
        let fired = Mutex<[String]>([])
        let returned = Atomic<Bool>(false)
        scheduler.schedule("late", at: Date() + 0.2)
        let run = Task {
            await scheduler.run { key in fired.withLock { $0.append(key) } }
            returned.store(true, ordering: .sequentiallyConsistent)
        }
        defer { run.cancel() }
        scheduler.schedule("early", at: Date() + 0.05)
        try await waitUntil(timeout: .seconds(5), "both timers fired") { fired.withLock { $0.count } == 2 }
        #expect(fired.withLock { $0 } == ["early", "late"])
        scheduler.stop()
        try await waitUntil(timeout: .seconds(5), "run returns") { returned.load(ordering: .sequentiallyConsistent) }
    }
}
