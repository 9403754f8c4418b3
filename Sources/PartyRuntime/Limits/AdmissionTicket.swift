import Synchronization

/// One WebSocket's place in its room's connection count, from the upgrade decision to the end of
/// the connection. Released exactly once: explicitly, or at the latest when the ticket is dropped
/// (an upgrade that failed after the decision never runs its session).
package final class AdmissionTicket: Sendable {
    private let admission: Admission
    private let key: RoomKey
    private let released = Atomic<Bool>(false)

    init(admission: Admission, key: RoomKey) {
        self.admission = admission
        self.key = key
    }

    deinit { release() }

    /// Gives the place back; later calls do nothing.
    package func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        admission.releaseRoomConnection(key)
    }
}
