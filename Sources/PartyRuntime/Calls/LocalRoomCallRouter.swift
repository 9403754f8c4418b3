/// Runs room calls in this process: finds the target's slot in the registry, activates the room
/// as an HTTP request would (`onStart` once, admission limits, input gate), runs `onRequest` or
/// `onCall` with the call chain set, and answers once the callee's writes are durable.
package final class LocalRoomCallRouter: RoomCallRouter {
    /// Weak: the registry's services hold this router.
    private weak let registry: RoomRegistry?

    /// A router over `registry` (which installs it in its services).
    package init(registry: RoomRegistry) {
        self.registry = registry
    }

    /// The one route name `type` is registered under in the registry.
    package func routeName(for type: any Server.Type) throws(RoomCallError) -> String {
        guard let registry else { throw Self.shuttingDown }
        let id = ObjectIdentifier(type)
        let names = registry.registrations.values.filter { $0.serverType == id }.map(\.routeName).sorted()
        switch names.count {
        case 1:
            return names[0]
        case 0:
            throw .unreachable("server type \(type) is not registered; register it with app.register(\(type).self)")
        default:
            throw .unreachable(
                "server type \(type) is registered under several route names (\(names.joined(separator: ", "))), so a stub cannot "
                    + "choose; register it once"
            )
        }
    }

    /// Runs `call` in the target's slot: activation, input gate, hook, then the durability wait.
    package func deliver(_ call: RoomCall) async throws(RoomCallError) -> RoomCallReply {
        guard let registry else { throw Self.shuttingDown }
        let target = call.target
        guard let registration = registry.registration(named: target.server) else {
            throw .unreachable("no server type is registered as \(target.server.debugDescription)")
        }
        if let error = RoomRoute.check(decodedName: target.name) {
            throw .unreachable("room name \(target.name.debugDescription) is not valid: \(error.message); pass a name a client could use")
        }
        if case .typed = call.payload, registration.typedCall == nil {
            throw .unreachable("server type \(target.server) takes no typed calls; adopt CallableServer, or use fetch(_:)")
        }
        let slot = registry.checkOut(registration, name: target.name)
        defer { registry.checkIn(slot) }
        let hold: RoomHold
        do {
            hold = try await slot.acquire(admitting: true)
        } catch let refusal as AdmissionRefusal {
            throw .unreachable("room \(target) refused the call: \(refusal)")
        } catch StorageError.closed {
            throw Self.shuttingDown
        } catch {
            throw .unreachable("room \(target) could not start (\(error)); it tries again with the next call")
        }
        let outcome = await RoomCallChain.$current.withValue(call.chain + [target]) {
            await Self.run(call.payload, on: hold.instance, registration: registration, caller: call.caller)
        }
        let barrier = slot.room.gate.barrier
        slot.release(hold)
        // As over HTTP: the reply waits until the writes the callee made are durable.
        if let failure = await slot.room.storage.waitDurable(barrier) {
            slot.room.logger.error("room call failed on storage", metadata: ["caller": "\(call.caller)", "error": "\(failure)"])
            throw failure == .closed ? Self.shuttingDown : .failure(failure)
        }
        return try outcome.get()
    }

    /// Runs the payload's hook on the instance; a thrown `Rejection` answers as over HTTP.
    private static func run(
        _ payload: RoomCall.Payload, on instance: any Server, registration: ServerRegistration, caller: RoomCaller
    ) async -> Result<RoomCallReply, RoomCallError> {
        switch payload {
        case .request(let request):
            do {
                return .success(.response(try await instance.onRequest(request)))
            } catch let rejection as Rejection {
                return .success(.response(rejection.response))
            } catch {
                return .failure(.failure(error))
            }
        case .typed(let body):
            guard let handler = registration.typedCall else { return .failure(.unreachable("\(registration.routeName) takes no typed calls")) }
            do throws(RoomCallError) {
                return .success(.typed(try await handler(instance, body, caller)))
            } catch {
                return .failure(error)
            }
        }
    }

    private static let shuttingDown = RoomCallError.unreachable("the server is shutting down; nothing from this call was stored, try again on a running server")
}
