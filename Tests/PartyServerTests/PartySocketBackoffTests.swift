import Foundation
import PartyClient
import PartyServerTesting
import Testing

/// Reconnection delays: the pure backoff, then the same sequence driven by a manual clock
/// against a port where nothing listens.
@Suite struct PartySocketBackoffTests {
    /// Whether two durations are equal to a nanosecond.
    private func same(_ lhs: Duration, _ rhs: Double) -> Bool {
        abs(lhs / .seconds(1) - rhs) < 1e-9
    }

    @Test func firstAttemptHasNoDelay() {
        let backoff = PartyBackoff()
        #expect(backoff.delay(beforeAttempt: 0, random: 0.9) == .zero)
    }

    @Test func delaysGrowByTheFactorUpToTheMaximum() {
        let backoff = PartyBackoff(jitter: 0)
        let delays = (1...12).map { backoff.delay(beforeAttempt: $0, random: 0.7) }
        let expected = (1...12).map { min(10, pow(1.3, Double($0 - 1))) }
        #expect(zip(delays, expected).allSatisfy(same), "\(delays)")
        #expect(same(delays[0], 1))
        #expect(same(delays[8], 8.157_307_21))
        #expect(same(delays[9], 10))
        #expect(same(backoff.delay(beforeAttempt: 1_000_000, random: 0), 10))
    }

    @Test func jitterStretchesWithinTheMaximum() {
        let backoff = PartyBackoff()  // jitter 0.5
        #expect(same(backoff.delay(beforeAttempt: 1, random: 0), 1))
        #expect(same(backoff.delay(beforeAttempt: 1, random: 0.5), 1.25))
        #expect(same(backoff.delay(beforeAttempt: 2, random: 0.5), 1.625))
        #expect(same(backoff.delay(beforeAttempt: 3, random: 1), 1.69 * 1.5))
        #expect(same(backoff.delay(beforeAttempt: 9, random: 0.99), 10))  // 8.16 × 1.495 capped
        #expect(same(backoff.delay(beforeAttempt: 1, random: 7), 1.5))  // out-of-range randoms are clamped
    }

    @Test func customParameters() {
        let backoff = PartyBackoff(minDelay: .milliseconds(100), maxDelay: .milliseconds(250), growFactor: 2, jitter: 0)
        let delays = (1...4).map { backoff.delay(beforeAttempt: $0, random: 0) }
        #expect(zip(delays, [0.1, 0.2, 0.25, 0.25]).allSatisfy(same), "\(delays)")
    }

    /// Whether exactly one task sleeps on `clock`, for `seconds` from now.
    private func sleeps(_ clock: ManualClock, for seconds: Double) -> Bool {
        let deadlines = clock.sleeperDeadlines
        return deadlines.count == 1 && abs(deadlines[0].timeIntervalSince(clock.now) - seconds) < 1e-6
    }

    /// Waits until the socket sleeps before its next attempt, returns that delay and advances
    /// the clock to its end; nil once `run()` returned.
    private func nextDelay(_ running: RunningSocket, _ clock: ManualClock) async throws -> Double? {
        try await eventually("a backoff wait or the end", timeout: .seconds(10), interval: .milliseconds(2)) { () -> PollResult<Double?> in
            if running.hasReturned { return .done(nil) }
            let deadlines = clock.sleeperDeadlines
            guard running.socket.state == .disconnected, deadlines.count == 1, let deadline = deadlines.first else {
                return .pending("state \(running.socket.state), sleepers \(deadlines)")
            }
            let delay = deadline.timeIntervalSince(clock.now)
            clock.advance(to: deadline)
            return .done(delay)
        }
    }

    @Test func maxRetriesMeansThatManyRetriesThenClosed() async throws {
        let clock = ManualClock()
        var options = socketOptions(port: try await unusedPort(), party: "chat", room: "r")
        options.clock = clock
        options.random = { 0.5 }
        options.maxRetries = 3
        let running = try RunningSocket.start(options)

        var delays: [Double] = []
        for _ in 0..<10 {
            guard let delay = try await nextDelay(running, clock) else { break }
            delays.append(delay)
        }
        try await running.waitReturned()

        #expect(delays.count == 3)
        #expect(zip(delays, [1.25, 1.625, 2.1125]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(delays)")
        let errors = running.events.compactMap { event -> PartySocketError? in
            if case .error(let error) = event { return error }
            return nil
        }
        #expect(errors.count == 4)
        #expect(errors.allSatisfy { $0.code == .connectionFailed }, "\(errors)")
        #expect(running.count { if case .close(1006, _, false) = $0 { true } else { false } } == 4)
        #expect(running.opens == 0)
        #expect(running.socket.state == .closed)
        #expect(running.socket.send("late") == .dropped(.socketClosed))
        #expect(clock.sleepers == 0)
    }

    @Test func reconnectSkipsTheWaitAndResetsTheCount() async throws {
        let clock = ManualClock()
        var options = socketOptions(port: try await unusedPort(), party: "chat", room: "r")
        options.clock = clock
        options.random = { 0 }
        let running = try RunningSocket.start(options)
        defer { running.socket.close() }

        try await waitUntil("the socket waits for its first retry") {
            running.socket.state == .disconnected && clock.sleepers == 1
        }
        clock.advance(by: .seconds(1))
        try await waitUntil("the socket waits for its second retry") {
            running.socket.state == .disconnected && sleeps(clock, for: 1.3)
        }
        #expect(running.socket.retryCount == 2)

        running.socket.reconnect()  // no clock advance: the attempt starts at once
        try await waitUntil("the attempt after reconnect() failed and the next wait is the first again") {
            running.count { if case .error = $0 { true } else { false } } == 3 && sleeps(clock, for: 1)
        }
        #expect(running.socket.retryCount == 1)
    }

    @Test func closeDuringTheWaitStopsAtOnce() async throws {
        let clock = ManualClock()
        var options = socketOptions(port: try await unusedPort(), party: "chat", room: "r")
        options.clock = clock
        let running = try RunningSocket.start(options)

        try await waitUntil("the socket waits for its first retry") {
            running.socket.state == .disconnected && clock.sleepers == 1
        }
        #expect(running.socket.send("queued") == .queued)
        try running.socket.close(code: 4000, reason: "done")
        try await running.waitReturned()

        #expect(running.socket.state == .closed)
        #expect(clock.sleepers == 0)
        #expect(running.socket.queuedMessageCount == 0)
        #expect(running.events.last == .close(code: 4000, reason: "done", wasClean: true))
        #expect(running.count { if case .error = $0 { true } else { false } } == 1)
        #expect(throws: PartySocketError.self) { try running.socket.close(code: 1006) }
    }
}
