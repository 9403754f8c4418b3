/// What a Yjs room keeps in a connection's state (so it outlives hibernation): whether it may
/// only read, and the awareness entries its client announced.
struct YConnectionState: Codable, Sendable {
    /// Whether updates from this connection are ignored.
    var readOnly = false
    /// The awareness entries the connection announced, by client id.
    var awareness: [UInt64: YAwareness.Entry] = [:]
}
