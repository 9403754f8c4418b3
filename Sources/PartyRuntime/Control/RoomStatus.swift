/// Where a room is in one activation, as reported by the control API (Jamsocket's backend
/// statuses). Within one activation a room only moves forward through these, in this order;
/// steps may be skipped.
///
/// An activation begins when a room starts without one (a control-API spawn, or the first
/// connection, request or alarm) and ends with `terminated`. Hibernation does not end it: a
/// hibernated room stays `ready` with `hibernated: true`.
public enum RoomStatus: String, Sendable, Codable, CaseIterable, Comparable {
    /// The activation exists; the room has not started loading yet.
    case scheduled
    /// The room's snapshot is being read.
    case loading
    /// `onStart` is running.
    case starting
    /// Started and not yet serving. Part of the order for Jamsocket clients; a room here is
    /// `ready` as soon as `onStart` returns, so it never reports `waiting`.
    case waiting
    /// The room serves connections and requests (it may be hibernated).
    case ready
    /// A soft termination: connections are being closed (their `onClose` runs) and the final
    /// snapshot written.
    case terminating
    /// A hard termination: connections are dropped without `onClose` and no snapshot is
    /// written (asked for with `hard`, or a soft one whose hooks outlived the grace period).
    case hardTerminating = "hard-terminating"
    /// The activation ended; see its `TerminationReason`. The room's storage is kept.
    case terminated

    /// Position in the forward-only order.
    var rank: Int {
        switch self {
        case .scheduled: 0
        case .loading: 1
        case .starting: 2
        case .waiting: 3
        case .ready: 4
        case .terminating: 5
        case .hardTerminating: 6
        case .terminated: 7
        }
    }

    /// Whether `lhs` comes before `rhs` in an activation.
    public static func < (lhs: RoomStatus, rhs: RoomStatus) -> Bool { lhs.rank < rhs.rank }

    /// Whether the activation is over or ending (`terminating`, `hard-terminating`, `terminated`).
    public var isEnding: Bool { self >= .terminating }

    /// Whether the activation is ending but has not ended (`terminating`, `hard-terminating`).
    public var isTerminating: Bool { self == .terminating || self == .hardTerminating }
}
