import Synchronization

/// The router the rooms of one application call through, installed after the registry exists
/// (the registry installs a `LocalRoomCallRouter`; a cluster layer may replace it).
package final class RoomCallRouting: Sendable {
    private let router = Mutex<(any RoomCallRouter)?>(nil)

    /// Routing with no router installed yet.
    package init() {}

    /// Makes `router` the one every later call goes through.
    package func install(_ router: any RoomCallRouter) {
        self.router.withLock { $0 = router }
    }

    /// The installed router, or `.unreachable` before one is installed.
    package func current() throws(RoomCallError) -> any RoomCallRouter {
        guard let router = router.withLock({ $0 }) else {
            throw .unreachable("rooms cannot call each other before the application runs; call from a hook of a running room")
        }
        return router
    }
}
