import Foundation

/// The message budget of one connection: holds up to `burst` tokens, refills at `perSecond`, and
/// each message takes one. A value type owned by the connection's read loop: taking a token
/// allocates nothing and reads the time once.
///
/// Time comes from the connection clock; a clock that steps back refills nothing and never
/// penalises.
package struct TokenBucket {
    private let perSecond: Double
    private let capacity: Double
    private var tokens: Double
    private var last: Double

    /// A full bucket at time `now`.
    package init(_ rate: MessageRate, now: Date) {
        self.perSecond = max(0, rate.perSecond)
        self.capacity = Double(max(1, rate.burst))
        self.tokens = capacity
        self.last = now.timeIntervalSinceReferenceDate
    }

    /// Takes one token at time `now`; returns `false` (taking nothing) when the bucket is empty.
    package mutating func take(now date: Date) -> Bool {
        let now = date.timeIntervalSinceReferenceDate
        if now > last {
            tokens = min(capacity, tokens + (now - last) * perSecond)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
