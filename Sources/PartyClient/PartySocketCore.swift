import Foundation

/// The mutable state of a ``PartySocket``, always used under its mutex.
///
/// Whatever must happen in a fixed order (queueing, flushing the queue, writing to the
/// connection, changing ``state``) happens while the mutex is held, so `send` calls from any
/// thread keep their order relative to the flush on open.
struct PartySocketCore {
    /// What `close(code:reason:)` asked for.
    struct CloseRequest {
        var code: Int
        var reason: String
    }

    /// The state reported by ``PartySocket/state``.
    var state: PartySocketState = .disconnected
    /// Messages sent while not open, oldest first.
    var queue: [PartySocketMessage] = []
    /// The open connection that takes messages, nil while not open.
    var connection: WebSocketConnection?
    /// The number of the current attempt: -1 before the first, 0 for the first (no delay).
    var retryCount = -1
    /// Whether `run()` was called.
    var started = false
    /// Set by `close`; the socket then never connects again.
    var closeRequest: CloseRequest?
    /// Set by `reconnect`; the next attempt starts at once with the count reset.
    var reconnectRequested = false
    /// Cancels the wait or connection attempt in progress, if any.
    var interrupt: (@Sendable () -> Void)?
    /// When the current connection opened.
    var openedAt: Date?
    /// Whether a connection is being served (from open until its close event).
    var inSession = false
    /// Whether the close event for a `close()` without a connection is still owed.
    var owesCloseEvent = false

    /// Whether `close` or `reconnect` asked to abandon what is in progress.
    var isInterrupted: Bool { closeRequest != nil || reconnectRequested }

    /// Queues `message` or writes it to the open connection.
    mutating func send(_ message: PartySocketMessage, limit: Int) -> PartySendResult {
        switch state {
        case .closing, .closed:
            return .dropped(.socketClosed)
        case .open where queue.isEmpty && connection?.isOpen == true:
            connection?.send(message)
            return .sent
        case .open, .disconnected, .connecting:
            guard queue.count < limit else { return .dropped(.queueFull) }
            queue.append(message)
            return .queued
        }
    }

    /// Makes `connection` the open one after writing the queue to it, in order.
    mutating func open(_ connection: WebSocketConnection, at now: Date) {
        for message in queue {
            connection.send(message)
        }
        queue.removeAll()
        self.connection = connection
        state = .open
        openedAt = now
        inSession = true
    }

    /// Stops writing to `connection` (its close frame was sent or received); later sends queue.
    mutating func detach(_ connection: WebSocketConnection) {
        guard self.connection === connection else { return }
        self.connection = nil
        if state == .open { state = .disconnected }
    }

    /// Records the end of the session; the retry count restarts if it lasted `minUptime`.
    mutating func endSession(_ connection: WebSocketConnection, at now: Date, minUptime: Duration) {
        detach(connection)
        if let openedAt, now.timeIntervalSince(openedAt) >= minUptime.seconds {
            retryCount = 0
        }
        openedAt = nil
        inSession = false
    }
}
