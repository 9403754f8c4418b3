import Histogram
import NIOCore

/// Per-event-loop accounting of the `logux` scenarios: only touched on `loop`, merged at the end.
final class LoguxLoopState: @unchecked Sendable {
    let loop: any EventLoop
    /// Frames received on this loop: the stall detector's heartbeat.
    var progress = 0
    /// Send-to-delivery times of measured increments, nanoseconds.
    var histogram = makeLatencyHistogram()
    /// Measured increments delivered to subscribers (each subscriber counts each once).
    var delivered = 0
    var warmupDelivered = 0
    /// When the last measured delivery or `logux/processed` arrived (monotonic).
    var lastEvent: UInt64 = 0

    /// Empty accounting for `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// This loop's totals, taken on the loop.
    func totals() -> LoguxLoopTotals {
        loop.preconditionInEventLoop()
        return LoguxLoopTotals(histogram: histogram, delivered: delivered, warmupDelivered: warmupDelivered, lastEvent: lastEvent)
    }
}

/// The delivery totals of the loops, merged.
struct LoguxLoopTotals: Sendable {
    var histogram = makeLatencyHistogram()
    var delivered = 0
    var warmupDelivered = 0
    var lastEvent: UInt64 = 0

    /// Adds another loop's totals.
    mutating func add(_ other: LoguxLoopTotals) {
        histogram.add(other.histogram)
        delivered += other.delivered
        warmupDelivered += other.warmupDelivered
        lastEvent = max(lastEvent, other.lastEvent)
    }

    /// Sums the totals of `states`, each read on its loop.
    static func collect(_ states: [LoguxLoopState]) async -> LoguxLoopTotals {
        var totals = LoguxLoopTotals()
        for state in states {
            if let part = try? await state.loop.submit({ state.totals() }).get() { totals.add(part) }
        }
        return totals
    }
}

/// Waits for `future`, failing at `deadline` or when no action at all arrived on any of
/// `states`' loops for `stallSeconds` (a lost action would otherwise only end the wait at the
/// deadline).
func waitMakingProgress(_ future: EventLoopFuture<Void>, deadline: NIODeadline, stallSeconds: Double, states: [LoguxLoopState]) async -> Result<Void, RunFailure> {
    await waitMakingProgress(future, deadline: deadline, stallSeconds: stallSeconds) {
        var progress = 0
        for state in states {
            progress += (try? await state.loop.submit { state.progress }.get()) ?? 0
        }
        return progress
    }
}
