import Histogram

/// What receivers counted: kept per event loop while measuring, summed for the report.
struct DeliveryTally: Sendable {
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    var delivered = 0
    var warmupDelivered = 0
    var duplicated = 0
    var reordered = 0
    var unexpected = 0
    var disconnected = 0
    var lastReceive: UInt64 = 0

    /// Adds another loop's counts.
    mutating func add(_ other: DeliveryTally) {
        histogram.add(other.histogram)
        delivered += other.delivered
        warmupDelivered += other.warmupDelivered
        duplicated += other.duplicated
        reordered += other.reordered
        unexpected += other.unexpected
        disconnected += other.disconnected
        lastReceive = max(lastReceive, other.lastReceive)
    }
}
