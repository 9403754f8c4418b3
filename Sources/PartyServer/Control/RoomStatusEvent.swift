import Foundation

/// One status of a room's activation: what the status stream sends and what `status` returns.
public struct RoomStatusEvent: Sendable, Equatable, Codable {
    /// The route name of the room's server type.
    public var server: String
    /// The room name.
    public var name: String
    /// The activation this status belongs to, counted from 1 per room since the server started.
    public var activation: UInt64
    /// The position of this status in its activation, from 1.
    public var sequence: Int
    /// The status.
    public var status: RoomStatus
    /// When the room reached the status (on the application's clock).
    public var time: Date
    /// Why the activation ended, for `terminated`.
    public var terminationReason: TerminationReason?
    /// How the activation was stopped, for `terminated` (nil when its start failed).
    public var terminationKind: TerminationKind?
    /// For `terminated`: whether the room itself failed (`internal_error`, `startup_timeout`).
    public var exitError: Bool?
    /// Whether the room is hibernated (only ever true while `ready`; as of the moment it was read).
    public var hibernated: Bool

    /// Creates an event.
    public init(
        server: String, name: String, activation: UInt64, sequence: Int, status: RoomStatus, time: Date,
        terminationReason: TerminationReason? = nil, terminationKind: TerminationKind? = nil, hibernated: Bool = false
    ) {
        self.server = server
        self.name = name
        self.activation = activation
        self.sequence = sequence
        self.status = status
        self.time = time
        self.terminationReason = terminationReason
        self.terminationKind = status == .terminated ? terminationKind : nil
        self.exitError = status == .terminated ? terminationReason?.isExitError ?? false : nil
        self.hibernated = hibernated
    }

    /// The Server-Sent Events id, `ACTIVATION.SEQUENCE` (e.g. `3.2`); `Last-Event-ID` takes it back.
    public var id: String { "\(activation).\(sequence)" }

    /// Parses an id made by `id`.
    static func parse(id: String) -> (activation: UInt64, sequence: Int)? {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let activation = UInt64(parts[0]), let sequence = Int(parts[1]) else { return nil }
        return (activation, sequence)
    }
}
