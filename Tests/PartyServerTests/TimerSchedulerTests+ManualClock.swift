import Foundation
import PartyServerTesting
import Synchronization
import Testing

extension TimerSchedulerTests {
    /// The clock the scheduler tests run on.
    @Suite("Manual clock")
    struct ManualClockTests {
        /// The outcome of one sleep on the clock, filled in when the sleep returns.
        final class Outcome: Sendable {
            private let value = Mutex<String?>(nil)

            /// Sleeps on `clock` until `deadline` in a new task and records how the sleep ended.
            @discardableResult
            func sleep(on clock: ManualClock, until deadline: Date, cancelledFirst: Bool = false) -> Task<Void, Never> {
                Task {
                    if cancelledFirst { withUnsafeCurrentTask { $0?.cancel() } }
                    do {
                        try await clock.sleep(until: deadline)
                        value.withLock { $0 = "slept" }
                    } catch is CancellationError {
                        value.withLock { $0 = "cancelled" }
                    } catch {
                        value.withLock { $0 = "error: \(error)" }
                    }
                }
            }

            /// Waits until the sleep ended and returns how.
            func wait() async throws -> String {
                try await eventually("the sleep returns", timeout: .seconds(5), interval: .milliseconds(5)) {
                    value.withLock { $0 }.map { .done($0) } ?? .pending("still asleep")
                }
            }

            /// How the sleep ended, or nil while it sleeps.
            var result: String? { value.withLock { $0 } }
        }

        @Test("counts its sleepers and resumes exactly those whose deadline is reached")
        func countsAndResumesSleepers() async throws {
            let clock = ManualClock()
            let start = clock.now
            #expect(start == Date(timeIntervalSince1970: 1_800_000_000))
            let early = Outcome()
            let late = Outcome()
            early.sleep(on: clock, until: start + 5)
            late.sleep(on: clock, until: start + 10)
            try await waitUntil("two sleepers") { clock.sleepers == 2 }
            #expect(clock.sleeperDeadlines == [start + 5, start + 10])
            clock.advance(by: .milliseconds(4_999))
            #expect(clock.sleepers == 2)
            clock.advance(by: .milliseconds(1))
            #expect(clock.now == start + 5)
            #expect(clock.sleepers == 1)
            #expect(try await early.wait() == "slept")
            #expect(late.result == nil)
            clock.advance(to: start + 3)  // never backwards
            #expect(clock.now == start + 5)
            clock.advance(to: start + 20)
            #expect(try await late.wait() == "slept")
            #expect(clock.sleepers == 0)
            // A deadline not in the future returns at once.
            try await clock.sleep(until: start + 20)
            #expect(clock.sleepers == 0)
        }

        @Test("a cancelled sleep throws CancellationError and is removed")
        func cancelledSleepThrowsAndIsRemoved() async throws {
            let clock = ManualClock()
            let asleep = Outcome()
            let task = asleep.sleep(on: clock, until: clock.now + 60)
            try await waitUntil("one sleeper") { clock.sleepers == 1 }
            task.cancel()
            #expect(try await asleep.wait() == "cancelled")
            #expect(clock.sleepers == 0)
            #expect(clock.sleeperDeadlines.isEmpty)

            let alreadyCancelled = Outcome()
            alreadyCancelled.sleep(on: clock, until: clock.now + 60, cancelledFirst: true)
            #expect(try await alreadyCancelled.wait() == "cancelled")
            #expect(clock.sleepers == 0)

            // Advancing past the removed sleeps' deadlines resumes nothing and breaks nothing.
            clock.advance(by: .seconds(120))
            #expect(clock.sleepers == 0)
        }
    }
}
