/// Per-server-type options, returned by `static var options`.
///
/// Hibernation is declared here per type; the runtime does not act on it yet: rooms currently
/// stay live, with their connections, until the process stops.
public struct ServerOptions: Sendable {
    /// Whether idle rooms of this type hibernate (snapshot and release the actor while their
    /// WebSockets stay open). Default `false`.
    public var hibernate: Bool
    /// How long a room must be idle before it hibernates or is evicted. Default 10 s.
    public var hibernateAfter: Duration

    /// Creates options; every argument has its documented default.
    public init(hibernate: Bool = false, hibernateAfter: Duration = .seconds(10)) {
        self.hibernate = hibernate
        self.hibernateAfter = hibernateAfter
    }
}
