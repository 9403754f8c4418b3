import DequeModule
import NIOWebSocket
import Synchronization

/// The work one WebSocket session hands its room, in arrival order. The event loop posts; a task
/// started on demand takes until the inbox is empty and then ends, so an idle connection has no
/// task and no storage here. It also decides when the event loop stops reading (too much is
/// waiting for the room) and when it may read again.
final class SessionInbox: Sendable {
    /// One piece of work for the room.
    enum Event: Sendable {
        /// Wake the room and register the connection (`getConnectionTags`, `onConnect`).
        case open(ConnectionContext)
        /// A frame read from the peer.
        case frame(WebSocketFrame)
        /// The frame decoder refused the peer's bytes: nothing more is read.
        case framingError(FramingError)
        /// The liveness sweeper closed a silent connection.
        case timeout(KeepAliveTimeout)
        /// Nothing more will be read: the peer shut its side, reset, or the channel closed.
        case inputEnded
    }

    private struct State {
        var events = Deque<Event>()
        /// A task is taking events.
        var taking = false
        /// The event loop holds back a read until `take()` says otherwise.
        var readsHeld = false
    }

    private let state = Mutex(State())

    /// Reads stop while this many events wait...
    static let highWatermark = 10
    /// ...and start again once no more than this many do.
    static let lowWatermark = 2

    /// Adds `event`; returns true when no task is taking events, so the caller must start one.
    func post(_ event: Event) -> Bool {
        state.withLock { state in
            state.events.append(event)
            guard !state.taking else { return false }
            state.taking = true
            return true
        }
    }

    /// Whether the event loop should hold back its next read; if so, a later `take()` says when
    /// to let it through.
    func shouldHoldReads() -> Bool {
        state.withLock { state in
            guard state.events.count >= Self.highWatermark else { return false }
            state.readsHeld = true
            return true
        }
    }

    /// The next event, or nil when there is none (the taking task must then end: a later post
    /// starts another); and whether the event loop may read again.
    func take() -> (event: Event?, resumeReads: Bool) {
        state.withLock { state in
            guard let event = state.events.popFirst() else {
                state.taking = false
                return (nil, false)
            }
            var resume = false
            if state.readsHeld, state.events.count <= Self.lowWatermark {
                state.readsHeld = false
                resume = true
            }
            // An emptied inbox gives its storage back: an idle connection keeps none.
            if state.events.isEmpty { state.events = Deque() }
            return (event, resume)
        }
    }

    /// Number of events waiting.
    var count: Int { state.withLock { $0.events.count } }
}
