/// Where calls between rooms go. `LocalRoomCallRouter` runs them in this process's registry; a
/// cluster layer can install one that forwards a call to the node owning the target (see
/// `RoomCallRouting.install`). The stub applies the timeout and counts the calls, so every
/// router behaves alike for callers.
package protocol RoomCallRouter: Sendable {
    /// The route name `type` is registered under, or `.unreachable` when it is not registered
    /// (or registered under several names).
    func routeName(for type: any Server.Type) throws(RoomCallError) -> String

    /// Runs `call` in its target room (activating it as a request would) and returns the reply
    /// once the callee's writes are durable.
    func deliver(_ call: RoomCall) async throws(RoomCallError) -> RoomCallReply
}
