/// Where a room is in one activation, as reported by the control API. Within one activation a
/// room only moves forward through these, in this order (steps may be skipped).
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
    /// The room serves connections and requests (it may be hibernated).
    case ready
    /// Connections are being closed and the final snapshot written.
    case terminating
    /// The activation ended; see its `TerminationReason`. The room's storage is kept.
    case terminated

    /// Position in the forward-only order.
    var rank: Int {
        switch self {
        case .scheduled: 0
        case .loading: 1
        case .starting: 2
        case .ready: 3
        case .terminating: 4
        case .terminated: 5
        }
    }

    /// Whether `lhs` comes before `rhs` in an activation.
    public static func < (lhs: RoomStatus, rhs: RoomStatus) -> Bool { lhs.rank < rhs.rank }

    /// Whether the activation is over or ending (`terminating`, `terminated`).
    public var isEnding: Bool { self >= .terminating }
}
