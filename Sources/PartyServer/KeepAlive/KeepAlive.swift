/// Server pings on quiet WebSockets, so a peer that vanished without closing (a browser tab
/// killed, a laptop closed, a network gone) is noticed and its `onClose` runs.
///
/// A WebSocket from which nothing arrived for `pingInterval` gets a ping; if still nothing (no
/// pong, no message) arrives within `pongTimeout`, the TCP connection is closed and `onClose`
/// runs with 1006, `wasClean: false`. Any frame counts as a sign of life, and a connection whose
/// frames wait because its room is busy is never taken for dead. Connections of hibernated rooms
/// are pinged without waking the room.
public struct KeepAlive: Sendable, Equatable {
    /// Quiet time after which a connection is pinged. Default 30 s.
    public var pingInterval: Duration
    /// Time a pinged connection has to show a sign of life. Default 10 s.
    public var pongTimeout: Duration

    /// Creates a keep-alive policy; every argument has its documented default.
    public init(pingInterval: Duration = .seconds(30), pongTimeout: Duration = .seconds(10)) {
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
    }
}
