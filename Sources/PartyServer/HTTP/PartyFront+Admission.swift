extension PartyFront {
    /// Reserves a place for one more WebSocket in the room, and checks that the room could start
    /// if it has no actor; no room is started or woken here.
    func admit(_ key: RoomKey) -> Result<AdmissionTicket, AdmissionRefusal> {
        let admission = registry.services.admission
        guard let ticket = admission.reserveRoomConnection(key) else {
            return .failure(.roomFull(limit: admission.limits.maxConnectionsPerRoom))
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
