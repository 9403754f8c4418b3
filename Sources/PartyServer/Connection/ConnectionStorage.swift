import Foundation

/// The mutable part of a connection, behind its lock.
struct ConnectionStorage: Sendable {
    var status: ConnectionStatus = .open
    var tags: [String]
    var stateValue: (any Sendable)?
    var stateData: Data?
    let queue = FrameQueue()
    var queuedBytes = 0
    var writerFinished = false
    /// Dropped by a hard termination: `onClose` does not run.
    var dropped = false
    var waiter: CheckedContinuation<Void, Never>?

    init(tags: [String]) {
        self.tags = tags
    }

    mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }

    /// Appends `frame` unless the connection is closing or the queue is full; on overflow the
    /// queue is dropped and the connection starts closing.
    mutating func push(_ frame: OutboundFrame, size: Int, limits: ConnectionLimits) -> EnqueueResult {
        guard status == .open else { return .dropped }
        if queue.count >= limits.maxQueuedMessages || queuedBytes + size > limits.maxQueuedBytes {
            status = .closing
            queue.removeAll()
            queuedBytes = 0
            writerFinished = true
            return .overflow(takeWaiter())
        }
        queue.append(frame)
        queuedBytes += size
        return .queued(takeWaiter())
    }
}

/// What happened to a frame offered to a connection's queue.
enum EnqueueResult {
    case queued(CheckedContinuation<Void, Never>?)
    case dropped
    case overflow(CheckedContinuation<Void, Never>?)
}
