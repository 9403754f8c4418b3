/// A sustained rate with bursts: a token bucket that holds `burst` tokens and refills at
/// `perSecond`; each message takes one.
public struct MessageRate: Sendable, Equatable {
    /// Tokens added per second: the sustained rate.
    public var perSecond: Double
    /// Tokens the bucket holds: how many messages may arrive at once after a quiet period.
    public var burst: Int

    /// Allows `perSecond` messages per second on average and `burst` at once.
    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

extension MessageRate {
    /// The sustained rate as text (`100`, `0.5`), for close reasons and logs.
    package var perSecondText: String {
        perSecond == perSecond.rounded() && abs(perSecond) < 1e15 ? "\(Int(perSecond))" : "\(perSecond)"
    }
}
