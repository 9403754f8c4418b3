import Foundation

/// The sweeper's record of one connection: since when it is quiet and whether it was pinged.
struct LivenessEntry {
    /// The durations in force, in seconds (`nil`: off).
    struct Policy {
        var pingInterval: Double?
        var pongTimeout: Double?
        var idleTimeout: Double?
    }

    /// What a pass decided for the connection.
    enum Action {
        case ping
        case closeDead
        case closeIdleWebSocket
        /// `partial`: part of a request had arrived (slowloris), rather than none.
        case closeIdleHTTP(partial: Bool)
    }

    let activity: ConnectionActivity
    /// The pass that last saw a sign of life (or the time it was accepted).
    var quietSince: Date
    /// When the outstanding ping was sent, if one is.
    var pingSentAt: Date?
    /// Set once a close was decided, so it is decided only once.
    var closing = false

    init(activity: ConnectionActivity, quietSince: Date) {
        self.activity = activity
        self.quietSince = quietSince
    }

    /// Updates the record at `now` and returns what to do, if anything.
    mutating func check(now: Date, policy: Policy) -> Action? {
        guard !closing else { return nil }
        let phase = activity.phase
        let busy = phase == .handlingRequest || (phase == .webSocket && activity.isReadPaused)
        if activity.takeActivity() || busy {
            quietSince = now
            pingSentAt = nil
            return nil
        }
        let quiet = now.timeIntervalSince(quietSince)
        switch phase {
        case .handlingRequest:
            return nil
        case .awaitingRequest:
            guard let idle = policy.idleTimeout, quiet >= idle else { return nil }
            closing = true
            return .closeIdleHTTP(partial: activity.hasPartialRequest)
        case .webSocket:
            if let pingSentAt, let timeout = policy.pongTimeout, now.timeIntervalSince(pingSentAt) >= timeout {
                closing = true
                return .closeDead
            }
            if let idle = policy.idleTimeout, quiet >= idle {
                closing = true
                return .closeIdleWebSocket
            }
            if pingSentAt == nil, let interval = policy.pingInterval, quiet >= interval {
                pingSentAt = now
                return .ping
            }
            return nil
        }
    }
}
