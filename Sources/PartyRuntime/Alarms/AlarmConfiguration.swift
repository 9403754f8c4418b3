/// How alarms are retried and run; every field has a documented default.
public struct AlarmConfiguration: Sendable {
    /// Retries of an `onAlarm` that throws before the alarm is dropped with an error log. Default 6.
    public var maxRetries: Int
    /// Delay before the first retry; each later retry waits twice as long. Default 2 s.
    public var firstRetryDelay: Duration
    /// Alarms whose `onAlarm` may run at the same time (e.g. when many came due during a
    /// restart). Default 64.
    public var maxConcurrentAlarms: Int

    /// Creates a configuration; every argument has its documented default.
    public init(maxRetries: Int = 6, firstRetryDelay: Duration = .seconds(2), maxConcurrentAlarms: Int = 64) {
        self.maxRetries = maxRetries
        self.firstRetryDelay = firstRetryDelay
        self.maxConcurrentAlarms = maxConcurrentAlarms
    }

    /// The delay before retry number `retry` (1-based): `firstRetryDelay × 2^(retry − 1)`.
    func delay(beforeRetry retry: Int) -> Duration {
        firstRetryDelay * (1 << min(max(retry - 1, 0), 30))
    }
}
