/// A server type registered under a route name, with its static hooks type-erased; one object
/// per type, shared by all its rooms.
package final class ServerRegistration: Sendable {
    /// The lowercase route name (`chat-room`).
    package let routeName: String
    /// The type's options (or the ones given at registration).
    package let options: ServerOptions
    /// The server type's identity (a stub finds its route name by it).
    package let serverType: ObjectIdentifier
    /// Runs a typed room call, when the type adopts `CallableServer`.
    package let typedCall: TypedCallHandler?
    /// Whether instances adopt `Snapshotting`.
    let snapshots: Bool
    /// Creates an instance for a room.
    let make: @Sendable (Room) -> any Server
    /// The type's `onBeforeConnect`.
    package let beforeConnect: @Sendable (Request, Lobby) async throws -> Request
    /// The type's `onBeforeRequest`.
    package let beforeRequest: @Sendable (Request, Lobby) async throws -> Request

    package init<S: Server>(_ type: S.Type, routeName: String, options: ServerOptions? = nil) {
        self.routeName = routeName
        self.options = options ?? S.options
        self.serverType = ObjectIdentifier(S.self)
        self.typedCall = (S.self as? any CallableServer.Type)?.typedCallHandler
        self.snapshots = S.self is any Snapshotting.Type
        self.make = { room in S(room: room) }
        self.beforeConnect = { request, lobby in try await S.onBeforeConnect(request, lobby: lobby) }
        self.beforeRequest = { request, lobby in try await S.onBeforeRequest(request, lobby: lobby) }
    }
}
