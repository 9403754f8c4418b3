/// Where a request is going, as seen by the static before-hooks (no room exists yet).
public struct Lobby: Sendable, Equatable {
    /// The route name of the server type (`chat`, `chat-room`).
    public let server: String
    /// The room name, percent-decoded and validated.
    public let name: String

    /// Creates a lobby value.
    public init(server: String, name: String) {
        self.server = server
        self.name = name
    }
}
