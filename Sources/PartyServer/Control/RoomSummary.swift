import Foundation

/// One room in the control API's list.
public struct RoomSummary: Sendable, Equatable {
    /// The room's latest status (with `hibernated` as of now).
    public var status: RoomStatusEvent
    /// Connections registered with the room (open or closing).
    public var connections: Int
    /// When the room last finished an event (or reached its status, if later).
    public var lastActivity: Date
    /// The key the room holds, if any.
    public var key: String?
    /// Whether the room takes no new clients (locked by itself, or every seat taken or reserved).
    public var locked: Bool
    /// Seats reserved by matchmaking and not yet taken.
    public var reservedSeats: Int
    /// The room's metadata, if it set any.
    public var metadata: JSONPayload?

    /// Creates a summary.
    public init(
        status: RoomStatusEvent, connections: Int, lastActivity: Date, key: String? = nil, locked: Bool = false, reservedSeats: Int = 0,
        metadata: JSONPayload? = nil
    ) {
        self.status = status
        self.connections = connections
        self.lastActivity = lastActivity
        self.key = key
        self.locked = locked
        self.reservedSeats = reservedSeats
        self.metadata = metadata
    }
}
