import Foundation
import CoreMetrics
import Logging
import Synchronization

/// Every room of the process: at most one slot per `(server, name)`.
///
/// A slot stays registered while a connection, request or alarm run uses it, or while its actor
/// is live; a room with nothing of either is removed and costs no memory (its storage, snapshot
/// and alarm stay on disk).
package final class RoomRegistry: Sendable {
    /// Registered server types by lowercase route name.
    package let registrations: [String: ServerRegistration]
    /// The services rooms share.
    package let services: RoomServices
    package let logger: Logger

    private let slots: Mutex<[RoomKey: RoomSlot]>

    package init(registrations: [ServerRegistration], services: RoomServices, logger: Logger) {
        var byName: [String: ServerRegistration] = [:]
        for registration in registrations {
            byName[registration.routeName] = registration
        }
        self.registrations = byName
        self.services = services
        self.logger = logger
        self.slots = Mutex([:])
        services.calls.install(LocalRoomCallRouter(registry: self))
    }

    /// The registration for a (lowercased) route name.
    package func registration(named name: String) -> ServerRegistration? {
        registrations[name]
    }

    /// The slot for a room, created if needed, held until `checkIn` (creating a slot starts nothing).
    package func checkOut(_ registration: ServerRegistration, name: String) -> RoomSlot {
        let key = RoomKey(server: registration.routeName, name: name)
        return slots.withLock { slots in
            let slot: RoomSlot
            if let existing = slots[key] {
                slot = existing
            } else {
                slot = RoomSlot(
                    room: Room(server: registration.routeName, name: name, logger: logger, services: services, maxClients: registration.options.maxClients),
                    registration: registration
                )
                slots[key] = slot
            }
            slot.addUser()
            return slot
        }
    }

    /// Gives back a slot from `checkOut`; removes it when nothing uses it any more.
    package func checkIn(_ slot: RoomSlot) {
        if slot.removeUser() { removeIfUnused(slot) }
    }

    /// The registered slot of a room, if any, without holding it.
    package func existingSlot(_ key: RoomKey) -> RoomSlot? {
        slots.withLock { $0[key] }
    }

    /// Number of registered slots (live, hibernated with connections, or in use).
    package var slotCount: Int { slots.withLock { $0.count } }

    /// Removes `slot` from the registry if nothing uses it any more.
    package func removeIfUnused(_ slot: RoomSlot) {
        let retired = slots.withLock { slots -> (endedActivation: UInt64?, wasHibernated: Bool)? in
            let key = slot.room.key
            guard slots[key] === slot, slot.isUnused else { return nil }
            slots[key] = nil
            return slot.retire()
        }
        if let retired {
            services.admission.forgetSeats(slot.room.key)
            slot.reportRetired(retired)
        }
    }

    // MARK: Timers

    /// A dropped connection's reconnection window passed: its `onClose` runs, unless its client
    /// came back meanwhile.
    package func dropWindowEnded(_ timer: DropTimer) async {
        guard let slot = existingSlot(timer.room), let held = slot.room.dropped.expire(timer.id, generation: timer.generation) else { return }
        await ConnectionDriver.expire(held, in: slot)
    }

    /// A room's idle timer fired: hibernate or evict it if it stayed idle.
    package func idleTimerFired(_ key: RoomKey) async {
        guard let slot = existingSlot(key) else { return }
        await slot.idleTimerFired()
        removeIfUnused(slot)
    }

    /// A room's alarm came due: wake the room and run `onAlarm`, then consume or retry the alarm.
    package func fireAlarm(_ key: RoomKey) async {
        guard let registration = registrations[key.server] else { return }
        switch await services.ownership.locate(key, placing: false) {
        case .local:
            break
        case .remote(let node, _):
            // Its owner fires it.
            services.alarms.forget(key)
            logger.debug("alarm left to the room's owner", metadata: ["room": "\(key)", "owner": "\(node)"])
            return
        case .unavailable(let reason):
            services.alarms.postpone(key, until: services.clock.now.addingTimeInterval(1))
            logger.warning("alarm postponed: the room's owner cannot be decided", metadata: ["room": "\(key)", "reason": "\(reason)"])
            return
        }
        guard let run = services.alarms.beginRun(key) else { return }
        let slot = checkOut(registration, name: key.name)
        defer { checkIn(slot) }
        var failure: (any Error)?
        let outcome: AlarmBook.Outcome
        do {
            let hold = try await slot.acquire()
            do {
                try await hold.instance.onAlarm(AlarmInfo(retryCount: run.retryCount))
            } catch {
                failure = error
            }
            services.metrics.alarmsFired.increment()
            // Inside the alarm's event: consuming (or rescheduling) the alarm commits with its writes.
            outcome = await services.alarms.finishRun(key, run, succeeded: failure == nil, through: slot.room.storage)
            slot.release(hold)
        } catch {
            failure = error
            services.metrics.alarmsFired.increment()
            outcome = await services.alarms.finishRun(key, run, succeeded: false, through: slot.room.storage)
        }
        switch outcome {
        case .done:
            break
        case .retry(let at, let retryCount):
            services.metrics.alarmsRetried.increment()
            slot.room.logger.warning("onAlarm failed; retrying", metadata: ["error": "\(failure.map { "\($0)" } ?? "")", "retry": "\(retryCount)", "at": "\(at)"])
        case .dropped:
            services.metrics.alarmsDropped.increment()
            slot.room.logger.error("onAlarm failed after its last retry; the alarm is dropped", metadata: ["error": "\(failure.map { "\($0)" } ?? "")", "retries": "\(run.retryCount)"])
        }
    }

    // MARK: Shutdown

    /// Hibernates every live room of a hibernating type (graceful shutdown), so its snapshot is
    /// stored before the process exits. Runs up to 64 at once, so their writes share commits.
    /// Returns how many hibernated.
    package func hibernateAll() async -> Int {
        let live = slots.withLock { slots in
            slots.values.filter { $0.registration.options.hibernate && $0.liveInstance != nil }
        }
        return await withTaskGroup(of: Bool.self) { group in
            var count = 0
            var iterator = live.makeIterator()
            for _ in 0..<64 {
                guard let slot = iterator.next() else { break }
                group.addTask { await slot.hibernateNow() }
            }
            while let hibernated = await group.next() {
                if hibernated { count += 1 }
                if let slot = iterator.next() {
                    group.addTask { await slot.hibernateNow() }
                }
            }
            return count
        }
    }
}
