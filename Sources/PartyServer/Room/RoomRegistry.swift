import Logging
import Synchronization

/// Every room of the process: at most one slot per `(server, name)`.
final class RoomRegistry: Sendable {
    /// Registered server types by lowercase route name.
    let registrations: [String: ServerRegistration]
    let logger: Logger

    private let slots: Mutex<[RoomKey: RoomSlot]>

    init(registrations: [ServerRegistration], logger: Logger) {
        var byName: [String: ServerRegistration] = [:]
        for registration in registrations {
            byName[registration.routeName] = registration
        }
        self.registrations = byName
        self.logger = logger
        self.slots = Mutex([:])
    }

    /// The registration for a (lowercased) route name.
    func registration(named name: String) -> ServerRegistration? {
        registrations[name]
    }

    /// The slot for a room, created if needed (creating a slot starts nothing).
    func slot(for registration: ServerRegistration, name: String) -> RoomSlot {
        let key = RoomKey(server: registration.routeName, name: name)
        return slots.withLock { slots in
            if let slot = slots[key] { return slot }
            let room = Room(server: registration.routeName, name: name, logger: logger)
            let slot = RoomSlot(room: room, registration: registration)
            slots[key] = slot
            return slot
        }
    }
}

/// The identity of a room.
struct RoomKey: Hashable, Sendable {
    let server: String
    let name: String
}
