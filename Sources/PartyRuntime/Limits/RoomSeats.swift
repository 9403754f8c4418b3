import Foundation
import Synchronization

/// What admission knows of one room's seats beyond its connection count: whether the room locked
/// itself, the seats reserved by matchmaking (until they are used or expire), and the room's
/// metadata (what matchmaking filters on).
package struct RoomSeats: Sendable, Equatable {
    /// Locked by the room (`room.lock()`), whatever its seats.
    package var locked = false
    /// Reserved seats: reservation id → when it expires.
    package var reservations: [String: Date] = [:]
    /// The room's metadata, if it set any.
    package var metadata: AnyJSON?

    package init() {}

    /// Whether nothing is recorded (the entry can go).
    var isEmpty: Bool { !locked && reservations.isEmpty && metadata == nil }

    /// Forgets reservations that expired by `now`.
    mutating func dropExpired(now: Date) {
        guard !reservations.isEmpty else { return }
        reservations = reservations.filter { $0.value > now }
    }
}

/// A room's seats as matchmaking and the control API see them.
package struct SeatSummary: Sendable, Equatable {
    /// WebSockets connected or being admitted.
    package var clients: Int
    /// Seats reserved and not yet used.
    package var reserved: Int
    /// Whether the room takes no new clients (locked by itself, or every seat taken or reserved).
    package var locked: Bool
    /// The room's metadata.
    package var metadata: AnyJSON?
}

extension Admission {
    /// Locks (`true`) or unlocks `key`'s room.
    package func setLocked(_ key: RoomKey, _ locked: Bool) {
        update(key) { $0.locked = locked }
    }

    /// Sets `key`'s room's metadata (nil removes it).
    package func setMetadata(_ key: RoomKey, _ metadata: AnyJSON?) {
        update(key) { $0.metadata = metadata }
    }

    /// The seats of `key`'s room under `maxClients`, as of `now`.
    package func seats(_ key: RoomKey, maxClients: Int?, now: Date) -> SeatSummary {
        state.withLock { state in
            var seats = state.seats[key] ?? RoomSeats()
            seats.dropExpired(now: now)
            state.seats[key] = seats.isEmpty ? nil : seats
            let clients = state.roomConnections[key, default: 0]
            let full = maxClients.map { clients + seats.reservations.count >= $0 } ?? false
            return SeatSummary(clients: clients, reserved: seats.reservations.count, locked: seats.locked || full, metadata: seats.metadata)
        }
    }

    /// Reserves a seat in `key`'s room until `expiry` when it is unlocked and has a free seat
    /// under `maxClients`; returns the reservation's id (a client presents it as `?seat=`), or
    /// nil when the room takes no new clients.
    package func reserveSeat(_ key: RoomKey, maxClients: Int?, now: Date, expiry: Date) -> String? {
        state.withLock { state -> String? in
            var seats = state.seats[key] ?? RoomSeats()
            seats.dropExpired(now: now)
            defer { state.seats[key] = seats.isEmpty ? nil : seats }
            let clients = state.roomConnections[key, default: 0]
            guard !seats.locked, maxClients.map({ clients + seats.reservations.count < $0 }) ?? true else { return nil }
            let id = Self.reservationID()
            seats.reservations[id] = expiry
            return id
        }
    }

    /// Holds a seat of `key`'s room under `id` until `expiry`, whatever the room's seats (its
    /// client was seated already: a dropped connection keeping its place).
    package func holdSeat(_ key: RoomKey, id: String, until expiry: Date) {
        update(key) { $0.reservations[id] = expiry }
    }

    /// Forgets `key`'s room's lock, reservations and metadata (the room left memory).
    package func forgetSeats(_ key: RoomKey) {
        state.withLock { _ = $0.seats.removeValue(forKey: key) }
    }

    private func update(_ key: RoomKey, _ change: (inout RoomSeats) -> Void) {
        state.withLock { state in
            var seats = state.seats[key] ?? RoomSeats()
            change(&seats)
            state.seats[key] = seats.isEmpty ? nil : seats
        }
    }

    /// 128 random bits, URL-safe.
    private static func reservationID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
