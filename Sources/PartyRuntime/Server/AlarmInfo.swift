/// What `onAlarm` is told about the run.
public struct AlarmInfo: Sendable, Equatable {
    /// How many earlier runs of this alarm threw (0 on the first run).
    public var retryCount: Int
    /// Whether this run is a retry after a throwing run.
    public var isRetry: Bool { retryCount > 0 }

    /// Creates alarm information.
    public init(retryCount: Int) {
        self.retryCount = retryCount
    }
}
