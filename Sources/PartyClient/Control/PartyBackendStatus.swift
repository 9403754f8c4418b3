import Foundation

/// Where a room (Jamsocket: a backend) is in its activation, as the control API reports it.
/// Within one activation it only moves forward, in this order.
public enum PartyBackendState: String, Sendable, Codable, CaseIterable, Comparable {
    /// Created; not loading yet.
    case scheduled
    /// Its stored state is being read.
    case loading
    /// `onStart` runs.
    case starting
    /// Started, not serving yet (Jamsocket's step; PartyServer rooms skip it).
    case waiting
    /// Serving connections and requests.
    case ready
    /// Closing its connections softly.
    case terminating
    /// Dropping its connections at once.
    case hardTerminating = "hard-terminating"
    /// Ended; see ``PartyBackendStatus/terminationReason``.
    case terminated

    /// Whether `lhs` comes before `rhs` in an activation.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        let order = Self.allCases
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}

/// One status of a room's activation: the answer of ``PartyControl/status(_:)`` and each call of
/// a ``PartyControl/statusStream(_:onStatus:)`` callback.
public struct PartyBackendStatus: Sendable, Equatable, Decodable {
    /// The room's id in the control API, `server/name`.
    public var backendID: String
    /// The state.
    public var status: PartyBackendState
    /// When the room reached it (ISO 8601, as the server sent it).
    public var time: String
    /// Why the activation ended (`swept`, `external`, `key_expired`, `lost`, `startup_timeout`,
    /// `internal_error`, `shutdown`), for `terminated`.
    public var terminationReason: String?
    /// `soft` or `hard`, for `terminated` (none when the start failed).
    public var terminationKind: String?
    /// For `terminated`: whether the room itself failed.
    public var exitError: Bool?
    /// Whether the room is hibernated (only while `ready`).
    public var hibernated: Bool

    enum CodingKeys: String, CodingKey {
        case backendID = "backend_id", status, time, hibernated
        case terminationReason = "termination_reason", terminationKind = "termination_kind", exitError = "exit_error"
    }

    /// Reads a status; `hibernated` defaults to false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        backendID = try container.decode(String.self, forKey: .backendID)
        status = try container.decode(PartyBackendState.self, forKey: .status)
        time = try container.decode(String.self, forKey: .time)
        terminationReason = try container.decodeIfPresent(String.self, forKey: .terminationReason)
        terminationKind = try container.decodeIfPresent(String.self, forKey: .terminationKind)
        exitError = try container.decodeIfPresent(Bool.self, forKey: .exitError)
        hibernated = try container.decodeIfPresent(Bool.self, forKey: .hibernated) ?? false
    }
}
