import Synchronization

/// The minimal record of activations, for rooms driven without the session control API
/// (`InMemoryRoom`, tools): numbers each room's activations and keeps their latest status, so a
/// start knows whether it begins an activation or wakes one. Nothing is stored or streamed.
package final class LocalActivations: RoomActivations {
    package let startupTimeout: Duration
    package let terminationGrace: Duration
    private let records = Mutex<[RoomKey: (activation: UInt64, status: RoomStatus)]>([:])

    /// Activations whose `onStart` may take `startupTimeout`, and whose soft terminations wait
    /// `terminationGrace` for hooks.
    package init(startupTimeout: Duration = .seconds(30), terminationGrace: Duration = .seconds(30)) {
        self.startupTimeout = startupTimeout
        self.terminationGrace = terminationGrace
    }

    package func beginActivation(_ key: RoomKey, expecting: UInt64?) -> AdoptedActivation? {
        records.withLock { records in
            let current = records[key]
            if let expecting {
                guard let current, current.activation == expecting, current.status == .scheduled else { return nil }
                return AdoptedActivation(activation: expecting, pinned: false)
            }
            let next = (current?.activation ?? 0) &+ 1
            records[key] = (next, .scheduled)
            return AdoptedActivation(activation: next, pinned: false)
        }
    }

    package func advance(_ key: RoomKey, activation: UInt64, to status: RoomStatus, reason: TerminationReason?) -> Bool {
        records.withLock { records in
            guard let current = records[key], current.activation == activation, current.status < status else { return false }
            records[key] = (activation, status)
            return true
        }
    }

    package func end(_ key: RoomKey, activation: UInt64, reason: TerminationReason, hard: Bool) {
        _ = advance(key, activation: activation, to: .terminated, reason: reason)
    }

    package func endScheduled(_ key: RoomKey, activation: UInt64, reason: TerminationReason) -> Bool {
        false
    }

    package func setHibernated(_ key: RoomKey, activation: UInt64, _ hibernated: Bool) {}

    package func environment(_ key: RoomKey) -> [String: String] { [:] }
}
