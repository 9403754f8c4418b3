import Logging
import Synchronization

/// The live-instance bookkeeping of one room: at most one actor, started exactly once per
/// activation, shared by every concurrent first request.
package final class RoomSlot: Sendable {
    /// The room handle given to the instance.
    package let room: Room
    /// The room's server type.
    package let registration: ServerRegistration

    private let state: Mutex<State>

    private enum State {
        case idle(generation: UInt64)
        case starting(generation: UInt64, Task<any Server, any Error>)
        case live(any Server)
    }

    package init(room: Room, registration: ServerRegistration) {
        self.room = room
        self.registration = registration
        self.state = Mutex(.idle(generation: 0))
    }

    /// The live instance, starting it (`init` then `onStart`) if needed. Throws if `onStart` threw;
    /// the room is then discarded and the next call tries again.
    package func instance() async throws -> any Server {
        if let instance = liveInstance { return instance }
        return try await startOrJoin().value
    }

    /// The live instance if there is one, without starting it.
    package var liveInstance: (any Server)? {
        state.withLock { state in
            if case .live(let instance) = state { return instance }
            return nil
        }
    }

    private func startOrJoin() -> Task<any Server, any Error> {
        state.withLock { state -> Task<any Server, any Error> in
            switch state {
            case .live(let instance):
                return Task { instance }
            case .starting(_, let task):
                return task
            case .idle(let previous):
                let generation = previous &+ 1
                let task = Task { try await self.start(generation: generation) }
                state = .starting(generation: generation, task)
                return task
            }
        }
    }

    private func start(generation: UInt64) async throws -> any Server {
        let instance = registration.make(room)
        do {
            try await instance.onStart()
        } catch {
            room.logger.error("onStart failed; the room is discarded and the next request retries", metadata: ["error": "\(error)"])
            state.withLock { state in
                if case .starting(let current, _) = state, current == generation {
                    state = .idle(generation: generation)
                }
            }
            throw PartyError.startFailed("\(error)")
        }
        state.withLock { state in
            state = .live(instance)
        }
        room.logger.debug("room started")
        return instance
    }
}
