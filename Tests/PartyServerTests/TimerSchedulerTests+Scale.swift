import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// The scheduler at scale: bursts, memory, and rescheduling churn.
extension TimerSchedulerTests {
    @Test("100,000 timers coming due at once run at most maxConcurrentFirings at a time and each fires exactly once")
    func burstIsBoundedAndExactlyOnce() async throws {
        let total = 100_000
        let limit = 64
        let harness = SchedulerHarness<Int>(maxConcurrentFirings: limit)
        let start = harness.clock.now
        for key in 0..<total {
            harness.scheduler.schedule(key, at: start + 1 + Double(key % 1000) / 1000)
        }
        let tally = ConcurrencyTally(keys: total)
        let gate = Gate()
        harness.start { key in
            tally.begin(key)
            await gate.wait()
            tally.end()
        }
        try await harness.waitAsleep(until: start + 1)
        harness.clock.advance(by: .seconds(2))
        // The first firings block on the gate: the loop fills every slot and no more.
        try await waitUntil("\(limit) firings are running") { tally.current == limit }
        #expect(tally.peak == limit)
        await gate.open()
        try await waitUntil(timeout: .seconds(150), "all \(total) firings finished") { tally.finished == total }
        try await harness.stop()
        #expect(tally.peak == limit)
        #expect(tally.keysNotFiredOnce == 0)
        #expect(harness.fired.count == total)
        #expect(harness.scheduler.count == 0)
        #expect(harness.scheduler.storedEntries == 0)
    }

    @Test("100,000 far-future timers cost memory proportional to their number and no wake-ups before one is due")
    func farFutureTimersAreCheapAndQuiet() async throws {
        let total = 100_000
        let harness = SchedulerHarness<Int>()
        let first = harness.clock.now + 3600
        harness.start()
        let before = residentBytes()
        for key in 0..<total {
            harness.scheduler.schedule(key, at: first + Double(key))
        }
        let after = residentBytes()
        if let before, let after {
            let perTimer = (after - before) / total
            #expect(perTimer < 512, "\(perTimer) bytes per timer (\(before) -> \(after))")
        }
        #expect(harness.scheduler.count == total)
        try await harness.waitAsleep(until: first)
        let wakeups = harness.scheduler.wakeups
        for minutes in 1...59 {
            harness.clock.advance(to: first - 3600 + Double(minutes) * 60)
        }
        harness.clock.advance(to: first - 0.001)
        #expect(harness.scheduler.wakeups == wakeups)
        #expect(harness.clock.sleeperDeadlines == [first])
        #expect(harness.fired.isEmpty)
        harness.clock.advance(to: first)
        try await harness.waitFired(1)
        try await harness.waitAsleep(until: first + 1)
        #expect(harness.scheduler.wakeups == wakeups + 1)
        for key in 1..<total {
            harness.scheduler.cancel(key)
        }
        #expect(harness.scheduler.count == 0)
        #expect(harness.scheduler.storedEntries == 0)
        try await harness.stop()
        #expect(harness.fired == [0])
    }

    @Test("heavy rescheduling keeps stored entries proportional to live timers, and only final deadlines fire")
    func heavyReschedulingIsCompacted() async throws {
        let keys = 100
        let harness = SchedulerHarness<Int>(maxConcurrentFirings: 1)
        let start = harness.clock.now
        var generator = SystemRandomNumberGenerator()
        var final: [Int: Date] = [:]
        for _ in 0..<1000 {
            for key in 0..<keys {
                let deadline = start + 10 + Double.random(in: 0..<1000, using: &generator).rounded()
                harness.scheduler.schedule(key, at: deadline)
                final[key] = deadline
            }
            #expect(harness.scheduler.storedEntries <= 2 * keys + 64)
        }
        #expect(harness.scheduler.count == keys)
        #expect(harness.scheduler.storedEntries <= 2 * keys + 64)
        harness.start()
        let earliest = try #require(final.values.min())
        try await harness.waitAsleep(until: earliest)
        harness.clock.advance(to: start + 2000)
        try await harness.waitFired(keys)
        try await harness.stop()
        // One firing at a time: the order is that of the final deadlines (ties in scheduling order).
        #expect(harness.fired == final.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key))
        #expect(harness.scheduler.storedEntries == 0)
    }
}
