import Foundation

/// The mutable part of a connection, behind its lock: its lifecycle, tags, state, outbound queue
/// and the writer waiting for frames.
struct ConnectionStorage: Sendable {
    var lifecycle = ConnectionLifecycle()
    var tags: [String]
    var stateValue: (any Sendable)?
    var stateData: Data?
    let queue = FrameQueue()
    var waiter: CheckedContinuation<Void, Never>?

    init(tags: [String]) {
        self.tags = tags
    }

    mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }

    /// Offers `frame` to the queue as the lifecycle decides; on overflow the queue is emptied.
    mutating func push(_ frame: OutboundFrame, size: Int, limits: ConnectionLimits) -> EnqueueResult {
        switch lifecycle.push(size: size, queued: queue.count, limits: limits) {
        case .drop:
            return .dropped
        case .overflow:
            queue.removeAll()
            return .overflow(takeWaiter())
        case .queue:
            queue.append(frame)
            return .queued(takeWaiter())
        }
    }
}

/// What happened to a frame offered to a connection's queue.
enum EnqueueResult {
    case queued(CheckedContinuation<Void, Never>?)
    case dropped
    case overflow(CheckedContinuation<Void, Never>?)
}
