import Foundation
import Synchronization

/// Counts what the admission limits bound — open TCP connections, WebSockets per room, rooms with
/// an actor, rooms starting — and turns new work away over them.
///
/// Every count is changed under one lock, so concurrent upgrades cannot overshoot a limit, and
/// every reservation has exactly one release, so the counts return to zero when the server is
/// idle. Work already admitted (messages to a hibernated room, closes, alarms) is counted but
/// never refused.
package final class Admission: Sendable {
    /// The limits in force (with `maxConnections` fitted to the open-file limit).
    package let limits: ServerLimits
    let state = Mutex(Counts())

    /// The current counts.
    package struct Counts: Sendable, Equatable {
        /// Open TCP connections admitted under `maxConnections`.
        package var connections = 0
        /// WebSockets (and upgrades in progress) per room; rooms with none are absent.
        package var roomConnections: [RoomKey: Int] = [:]
        /// Rooms with an actor: starting, live or hibernating.
        package var liveRooms = 0
        /// Rooms starting.
        package var startingRooms = 0
        /// Locks, seat reservations and metadata of rooms that have any.
        package var seats: [RoomKey: RoomSeats] = [:]
    }

    /// Counts under `limits`, all at zero.
    package init(limits: ServerLimits) {
        self.limits = limits
    }

    /// A snapshot of the counts.
    package var counts: Counts { state.withLock { $0 } }

    // MARK: TCP connections

    /// Counts a new TCP connection; returns `false` (counting nothing) when at `maxConnections`.
    package func admitConnection() -> Bool {
        let limit = limits.maxConnections
        return state.withLock { state in
            guard state.connections < limit else { return false }
            state.connections += 1
            return true
        }
    }

    /// A connection counted by `admitConnection()` closed.
    package func releaseConnection() {
        state.withLock { $0.connections -= 1 }
    }

    // MARK: WebSockets per room

    /// Reserves a place for one more WebSocket in `key`'s room, or `nil` when it is full.
    package func reserveRoomConnection(_ key: RoomKey) -> AdmissionTicket? {
        try? reserveRoomConnection(key, maxClients: nil, seat: nil, now: .distantPast).get()
    }

    /// Reserves a place for one more WebSocket in `key`'s room: refused when the room holds
    /// `maxConnectionsPerRoom`, is locked, or has no free seat under `maxClients` (seats held
    /// for reservations count). A live reservation `seat` of this room is used up instead, and
    /// admits over the lock and the seat count (its seat was held for it).
    /// `replacing`: the client replaces its own open connection (a reconnection window's
    /// takeover), so it needs no free seat either.
    package func reserveRoomConnection(
        _ key: RoomKey, maxClients: Int?, seat: String?, now: Date, replacing: Bool = false
    ) -> Result<AdmissionTicket, AdmissionRefusal> {
        let limit = limits.maxConnectionsPerRoom
        let refusal = state.withLock { state -> AdmissionRefusal? in
            let count = state.roomConnections[key, default: 0]
            guard count < limit else { return .roomFull(limit: limit) }
            // Most rooms have no lock, reservation or metadata: no entry to read or write back.
            guard var seats = state.seats[key] else {
                if !replacing, let maxClients, count >= maxClients { return .roomLocked(full: true) }
                state.roomConnections[key] = count + 1
                return nil
            }
            seats.dropExpired(now: now)
            defer { state.seats[key] = seats.isEmpty ? nil : seats }
            if let seat, seats.reservations.removeValue(forKey: seat) != nil || replacing {
                state.roomConnections[key] = count + 1
                return nil
            }
            if seats.locked { return .roomLocked(full: false) }
            if let maxClients, count + seats.reservations.count >= maxClients { return .roomLocked(full: true) }
            state.roomConnections[key] = count + 1
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(AdmissionTicket(admission: self, key: key))
    }

    /// A ticket from `reserveRoomConnection` was released.
    func releaseRoomConnection(_ key: RoomKey) {
        state.withLock { state in
            let count = state.roomConnections[key, default: 0] - 1
            state.roomConnections[key] = count > 0 ? count : nil
        }
    }

    // MARK: Room activations

    /// Why starting one more room would be refused now, if it would (no reservation: the start
    /// itself checks again).
    package func activationRefusal() -> AdmissionRefusal? {
        state.withLock { refusal(for: $0) }
    }

    /// A room is about to start; refused (counting nothing) over a limit when `refusable`.
    func beginActivation(refusable: Bool) -> AdmissionRefusal? {
        state.withLock { state in
            if refusable, let refusal = refusal(for: state) { return refusal }
            state.liveRooms += 1
            state.startingRooms += 1
            return nil
        }
    }

    /// A start from `beginActivation` finished: the room is live, or (if it failed) has no actor.
    func endActivation(started: Bool) {
        state.withLock { state in
            state.startingRooms -= 1
            if !started { state.liveRooms -= 1 }
        }
    }

    /// A live room released its actor (hibernated or evicted).
    func roomStopped() {
        state.withLock { $0.liveRooms -= 1 }
    }

    private func refusal(for state: Counts) -> AdmissionRefusal? {
        if state.startingRooms >= limits.maxPendingActivations { return .tooManyStarting(limit: limits.maxPendingActivations) }
        if state.liveRooms >= limits.maxLiveRooms { return .tooManyRooms(limit: limits.maxLiveRooms) }
        return nil
    }
}
