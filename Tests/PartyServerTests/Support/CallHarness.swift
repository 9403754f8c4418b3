import Foundation
import Logging
@testable import PartyRuntime

/// Rooms of several server types in one registry, without sockets: room calls go through the
/// registry's local router, as in a running application.
final class CallHarness: Sendable {
    let registry: RoomRegistry
    let engine: StorageEngine

    /// A registry with `Ledger` (and the `caller` rooms tests call from), on `directory` (in
    /// memory when nil) and `clock`.
    init(directory: String? = nil, clock: any PartyClock = SystemClock()) throws {
        let logger = StorageFixture.logger
        engine = try StorageEngine(directory: directory, logger: logger)
        let registrations = [ServerRegistration(Ledger.self, routeName: "ledger"), ServerRegistration(FrontDesk.self, routeName: "front-desk")]
        let services = RoomServices(engine: engine, clock: clock, metrics: PartyMetrics(routeNames: ["ledger", "front-desk"]), alarms: AlarmConfiguration(), logger: logger)
        registry = RoomRegistry(registrations: registrations, services: services, logger: logger)
    }

    /// A room to call from (a `FrontDesk`, never started): calls made with its stubs outside a
    /// hook, as from a task the room started.
    func caller(_ name: String = "origin") -> Room {
        let slot = registry.checkOut(registry.registration(named: "front-desk")!, name: name)
        return slot.room
    }

    /// The slot of a ledger room, if registered.
    func ledgerSlot(_ name: String) -> RoomSlot? {
        registry.existingSlot(RoomKey(server: "ledger", name: name))
    }

    /// Closes the storage engine.
    func close() async {
        await engine.close()
    }
}
