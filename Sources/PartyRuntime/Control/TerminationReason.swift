/// Why an activation ended. The raw values are Jamsocket's spellings (`key_expired`, …); the
/// older ones without underscores (`keyexpired`, `startuptimeout`, `internalerror`) are still read.
public enum TerminationReason: String, Sendable, Codable, CaseIterable {
    /// Idle: no connection for `max_idle_seconds`, or a room evicted (or hibernated without
    /// connections) by its server type's idle timeout.
    case swept
    /// A terminate call (`POST …/terminate`, `app.rooms.terminate`, the inspector).
    case external
    /// The room reached its `lifetime_limit_seconds`; its connections were closed with 4000.
    case keyExpired = "key_expired"
    /// `onStart` did not finish within `ControlConfiguration.startupTimeout`.
    case startupTimeout = "startup_timeout"
    /// `onStart` threw.
    case internalError = "internal_error"
    /// The server shut down (rooms reached directly; spawned rooms outlive a graceful shutdown).
    case shutdown
    /// The server stopped without ending the activation (a crash or `kill -9`); recorded when it
    /// started again.
    case lost

    /// Reads a raw value in today's spelling or the older one (`keyexpired`, `startuptimeout`,
    /// `internalerror`).
    public init?(spelling: String) {
        switch spelling {
        case "keyexpired": self = .keyExpired
        case "startuptimeout": self = .startupTimeout
        case "internalerror": self = .internalError
        default: self.init(rawValue: spelling)
        }
    }

    /// Decodes either spelling, so records written by earlier versions still load.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let reason = TerminationReason(spelling: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown termination reason \(raw.debugDescription)")
        }
        self = reason
    }

    /// How an activation that ended for this reason was stopped, when no status says it: `hard`
    /// for a process that died (`lost`), nil for a start that failed (nothing was terminated).
    package var impliedKind: TerminationKind? {
        switch self {
        case .lost: .hard
        case .internalError, .startupTimeout: nil
        case .swept, .external, .keyExpired, .shutdown: .soft
        }
    }

    /// Whether the room itself failed (`onStart` threw or did not finish): Jamsocket's `exit_error`.
    public var isExitError: Bool {
        self == .internalError || self == .startupTimeout
    }
}

/// How a terminated activation was stopped (Jamsocket's `termination_kind`).
public enum TerminationKind: String, Sendable, Codable, CaseIterable {
    /// Connections were closed with a closing handshake and their `onClose` ran; a
    /// `Snapshotting` room wrote its final snapshot.
    case soft
    /// Connections were dropped without `onClose` and no snapshot was written (a hard terminate,
    /// a soft one whose hooks outlived the grace period, or a process that died).
    case hard
}
