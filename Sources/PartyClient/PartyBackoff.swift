import Foundation

/// The delay before each connection attempt: exponential backoff with jitter, as a pure function.
///
/// Attempts are numbered like `retryCount` in the JavaScript `ReconnectingWebSocket`: attempt 0
/// (the first connection, or the first after ``PartySocket/reconnect()``) has no delay; attempt
/// *n* ≥ 1 waits `min(maxDelay, minDelay × growFactor^(n−1) × (1 + jitter × r))` for a random
/// `r` in `0..<1`. So the first retry waits between `minDelay` and `minDelay × (1 + jitter)`, and
/// no delay exceeds `maxDelay`. The count starts again from 1 after a connection that stayed open
/// for `minUptime`.
public struct PartyBackoff: Sendable, Hashable {
    /// The delay of the first retry before jitter. Default 1 s.
    public var minDelay: Duration
    /// The longest delay. Default 10 s.
    public var maxDelay: Duration
    /// The factor between consecutive delays. Default 1.3.
    public var growFactor: Double
    /// How much longer than the exponential value a delay may be, as a fraction (0 for none).
    /// Default 0.5: up to 50 % longer, so clients that lost the same server spread out.
    public var jitter: Double

    /// A backoff with the given parameters (the defaults are those of ``PartySocketOptions``).
    public init(minDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(10), growFactor: Double = 1.3, jitter: Double = 0.5) {
        self.minDelay = minDelay
        self.maxDelay = maxDelay
        self.growFactor = growFactor
        self.jitter = jitter
    }

    /// The delay before attempt `attempt` (0 for the first), with `random` in `0..<1` from the
    /// socket's random source.
    public func delay(beforeAttempt attempt: Int, random: Double) -> Duration {
        guard attempt > 0 else { return .zero }
        let maximum = maxDelay.seconds
        let exponent = Double(min(attempt - 1, 1_000))
        let base = min(maximum, minDelay.seconds * pow(growFactor, exponent))
        let spread = 1 + jitter * min(max(random, 0), 1)
        return .seconds(min(maximum, base * spread))
    }

    /// Throws ``PartySocketError/Code/invalidOptions`` unless `0 ≤ minDelay ≤ maxDelay`,
    /// `growFactor ≥ 1` and `0 ≤ jitter ≤ 1`.
    func validate() throws(PartySocketError) {
        guard minDelay >= .zero, maxDelay >= minDelay else {
            throw .invalidOptions("reconnection delays must satisfy 0 ≤ minReconnectionDelay (\(minDelay)) ≤ maxReconnectionDelay (\(maxDelay))")
        }
        guard growFactor >= 1, growFactor.isFinite else {
            throw .invalidOptions("reconnectionDelayGrowFactor is \(growFactor); use a finite value of at least 1 (default 1.3)")
        }
        guard (0...1).contains(jitter) else {
            throw .invalidOptions("reconnectionJitter is \(jitter); use a fraction from 0 to 1 (default 0.5)")
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
