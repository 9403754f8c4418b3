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

    /// Creates a summary.
    public init(status: RoomStatusEvent, connections: Int, lastActivity: Date, key: String? = nil) {
        self.status = status
        self.connections = connections
        self.lastActivity = lastActivity
        self.key = key
    }
}
