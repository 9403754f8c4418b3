/// The room that made a call: what a callee's `onCall` is given, and what `RoomCaller.current`
/// returns inside a hook reached by a room call.
public struct RoomCaller: Sendable, Hashable, CustomStringConvertible {
    /// The route name of the caller's server type (`chat`).
    public let server: String
    /// The caller's room name.
    public let name: String

    /// Creates a caller.
    public init(server: String, name: String) {
        self.server = server
        self.name = name
    }

    init(_ key: RoomKey) {
        self.init(server: key.server, name: key.name)
    }

    /// `server/name`.
    public var description: String { "\(server)/\(name)" }

    /// The room whose call the current hook serves (in `onRequest` or `onCall`, and in tasks it
    /// starts); `nil` in a hook that no room call reached, such as a request from a client.
    public static var current: RoomCaller? {
        let chain = RoomCallChain.current
        guard chain.count >= 2 else { return nil }
        return RoomCaller(chain[chain.count - 2])
    }
}
