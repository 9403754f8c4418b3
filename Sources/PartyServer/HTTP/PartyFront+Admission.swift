extension PartyFront {
    /// Reserves a place for one more WebSocket in the room, and checks that the room could start
    /// if it has no actor; no room is started or woken here.
    /// A client with a seat reserved by matchmaking presents it as `seat`: it is used up, and
    /// admits the client even though the seat made the room look full.
    func admit(_ key: RoomKey, maxClients: Int? = nil, seat: String? = nil) -> Result<AdmissionTicket, AdmissionRefusal> {
        let admission = registry.services.admission
        let ticket: AdmissionTicket
        switch admission.reserveRoomConnection(key, maxClients: maxClients, seat: seat, now: registry.services.clock.now) {
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
