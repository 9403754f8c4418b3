/// Why an activation ended.
public enum TerminationReason: String, Sendable, Codable, CaseIterable {
    /// Idle: no connection for `max_idle_seconds`, or a room evicted (or hibernated without
    /// connections) by its server type's idle timeout.
    case swept
    /// A terminate call (`POST …/terminate`, `app.rooms.terminate`, the inspector).
    case external
    /// The room reached its `lifetime_limit_seconds`; its connections were closed with 4000.
    case keyexpired
    /// `onStart` did not finish within `ControlConfiguration.startupTimeout`.
    case startuptimeout
    /// `onStart` threw.
    case internalerror
    /// The server shut down (rooms reached directly; spawned rooms outlive a graceful shutdown).
    case shutdown
    /// The server stopped without ending the activation (a crash or `kill -9`); recorded when it
    /// started again.
    case lost
}
