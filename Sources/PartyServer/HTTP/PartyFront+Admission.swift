extension PartyFront {
    /// Reserves a place for one more WebSocket in the room, and checks that the room could start
    /// if it has no actor; no room is started or woken here.
    /// A client with a seat reserved by matchmaking presents it as `seat`: it is used up, and
    /// admits the client even though the seat made the room look full.
    /// A client that `replaces` its own open connection (a reconnection window's takeover)
    /// needs no free seat.
    func admit(_ key: RoomKey, maxClients: Int? = nil, seat: String? = nil, replaces: Bool = false) -> Result<AdmissionTicket, AdmissionRefusal> {
        let admission = registry.services.admission
        let ticket: AdmissionTicket
        switch admission.reserveRoomConnection(key, maxClients: maxClients, seat: seat, now: registry.services.clock.now, replacing: replaces) {
        case .success(let reserved): ticket = reserved
        case .failure(let refusal): return .failure(refusal)
        }
        switch registry.existingSlot(key)?.lifecycleState {
        case .live?, .starting?:
            return .success(ticket)
        default:
            if let refusal = admission.activationRefusal() {
                ticket.release()
                return .failure(refusal)
            }
            return .success(ticket)
        }
    }
}
