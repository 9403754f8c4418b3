/// How to create a room with `connect`: its limits and environment.
public struct RoomSpawn: Sendable, Equatable {
    /// The room is terminated this long after it was spawned; its connections are closed with
    /// 4000 and the reason `key_expired`. `nil` (default): no lifetime limit.
    public var lifetimeLimit: Duration?
    /// The room is terminated after this long without connections. `nil` (default): the
    /// configuration's `defaultMaxIdle`.
    public var maxIdle: Duration?
    /// Values the room reads as `room.env`. Default empty.
    public var env: [String: String]
    /// A label of the room's version (Jamsocket's image tag). With a key: a room holding the key
    /// under another tag is an error (`keyHeld`), not a match. `nil` (default): any.
    public var tag: String?

    /// Creates spawn options; every argument has its documented default.
    public init(lifetimeLimit: Duration? = nil, maxIdle: Duration? = nil, env: [String: String] = [:], tag: String? = nil) {
        self.lifetimeLimit = lifetimeLimit
        self.maxIdle = maxIdle
        self.env = env
        self.tag = tag
    }

    /// Longest limit accepted: one year.
    static let longestLimit = Duration.seconds(86_400 * 365)
    /// Largest environment accepted, in bytes of names and values.
    static let maxEnvironmentBytes = 64 * 1024

    /// Checks the limits and the environment's size.
    func validate() throws(ControlError) {
        for (label, limit) in [("lifetime_limit_seconds", lifetimeLimit), ("max_idle_seconds", maxIdle)] {
            guard let limit else { continue }
            guard limit > .zero, limit <= Self.longestLimit else {
                throw .invalidArgument("\(label) must be greater than 0 and at most one year, got \(limit.timeInterval)")
            }
        }
        if let tag, !(1...256).contains(tag.count) || tag.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidArgument("tag must be 1 to 256 characters without control characters")
        }
        let size = env.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= Self.maxEnvironmentBytes else {
            throw .invalidArgument("env holds \(size) bytes; keep it under \(Self.maxEnvironmentBytes) and put the rest in storage")
        }
    }
}
