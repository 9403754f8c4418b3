import NIOCore
import Synchronization

/// What the liveness sweeper knows about one TCP connection. The connection's handlers write it on
/// its event loop (a frame costs one relaxed store); the sweeper reads it from its own task.
package final class ConnectionActivity: Sendable {
    /// Where the connection is in its life.
    package enum Phase: UInt8, AtomicRepresentable, Sendable {
        /// HTTP, waiting for a complete request: the idle timeout runs.
        case awaitingRequest
        /// HTTP, a request is being answered or an upgrade decided: no timeout runs.
        case handlingRequest
        /// A WebSocket: keep-alive pings and the idle timeout run.
        case webSocket
    }

    /// The connection's channel.
    package let channel: any Channel
    private let phaseValue = Atomic<Phase>(.awaitingRequest)
    private let active = Atomic<Bool>(false)
    private let partial = Atomic<Bool>(false)
    private let readPaused = Atomic<Bool>(false)

    /// A record for `channel`, awaiting its first request.
    package init(channel: any Channel) {
        self.channel = channel
    }

    /// The connection's phase.
    package var phase: Phase {
        get { phaseValue.load(ordering: .relaxed) }
        set { phaseValue.store(newValue, ordering: .relaxed) }
    }

    /// A sign of life: a frame arrived, or a request was answered.
    func markActive() {
        if !active.load(ordering: .relaxed) { active.store(true, ordering: .relaxed) }
    }

    /// Whether there was a sign of life since the last `takeActivity()`.
    var isActive: Bool { active.load(ordering: .relaxed) }

    /// Whether there was a sign of life since the last call (and forgets it).
    func takeActivity() -> Bool {
        active.exchange(false, ordering: .relaxed)
    }

    /// Bytes of a request that is not complete yet arrived (set while awaiting a request).
    var hasPartialRequest: Bool {
        get { partial.load(ordering: .relaxed) }
        set {
            if partial.load(ordering: .relaxed) != newValue { partial.store(newValue, ordering: .relaxed) }
        }
    }

    /// Whether the server stopped reading this connection because its room has not consumed the
    /// frames already read (backpressure): silence is then not the peer's fault.
    var isReadPaused: Bool {
        get { readPaused.load(ordering: .relaxed) }
        set {
            if readPaused.load(ordering: .relaxed) != newValue { readPaused.store(newValue, ordering: .relaxed) }
        }
    }
}
