/// A server type registered under a route name, with its static hooks type-erased.
package struct ServerRegistration: Sendable {
    /// The lowercase route name (`chat-room`).
    package let routeName: String
    /// The type's options.
    let options: ServerOptions
    /// Creates an instance for a room.
    let make: @Sendable (Room) -> any Server
    /// The type's `onBeforeConnect`.
    let beforeConnect: @Sendable (Request, Lobby) async throws -> Request
    /// The type's `onBeforeRequest`.
    let beforeRequest: @Sendable (Request, Lobby) async throws -> Request

    package init<S: Server>(_ type: S.Type, routeName: String) {
        self.routeName = routeName
        self.options = S.options
        self.make = { room in S(room: room) }
        self.beforeConnect = { request, lobby in try await S.onBeforeConnect(request, lobby: lobby) }
        self.beforeRequest = { request, lobby in try await S.onBeforeRequest(request, lobby: lobby) }
    }
}
