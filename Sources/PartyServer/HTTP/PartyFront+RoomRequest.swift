import HTTPTypes

extension PartyFront {
    /// Runs `onRequest` in the room (starting or waking it) and answers once the writes the room
    /// made before answering are durable (the output gate, for HTTP).
    func respondInRoom(_ registration: ServerRegistration, name: String, request: Request) async -> Response {
        let slot = registry.checkOut(registration, name: name)
        defer { registry.checkIn(slot) }
        let hold: RoomHold
        do {
            hold = try await slot.acquire(admitting: true)
        } catch let refusal as AdmissionRefusal {
            logger.info("refused HTTP request over a limit", metadata: ["room": "\(slot.room.key)", "limit": "\(refusal.limitName)", "status": "503"])
            return refusal.response
        } catch {
            return .error(.internalServerError, "the room failed to start; try again")
        }
        let response: Response
        do {
            response = try await hold.instance.onRequest(request)
        } catch let rejection as Rejection {
            response = rejection.response
        } catch let error as StorageError {
            slot.room.logger.error("onRequest failed on storage", metadata: ["request": "\(request)", "error": "\(error)"])
            response = Self.response(for: error)
        } catch {
            slot.room.logger.error("onRequest threw", metadata: ["request": "\(request)", "error": "\(error)"])
            response = .error(.internalServerError, "internal error")
        }
        let barrier = slot.room.gate.barrier
        slot.release(hold)
        // The room logged the failed write when it reset; the client learns that nothing was stored.
        if let failure = await slot.room.storage.waitDurable(barrier) { return Self.response(for: failure) }
        return response
    }

    /// The answer to a request whose storage failed.
    static func response(for error: StorageError) -> Response {
        switch error {
        case .full: .error(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "storage full: the write was not stored")
        case .closed: .error(.serviceUnavailable, "server shutting down; try again")
        case .roomReset: .error(.serviceUnavailable, "storage error: the room was reset and nothing from this request was stored; try again")
        default: .error(.internalServerError, "storage error")
        }
    }
}
