import Foundation

/// The mutable part of a connection, behind its lock: its lifecycle, tags, state, outbound queue
/// and whether its transport was told to come for the queued frames.
struct ConnectionStorage: Sendable {
    var lifecycle = ConnectionLifecycle()
    /// The tags besides the connection's id (most connections have none, and keep no array).
    var extraTags: [String] = []
    var stateValue: (any Sendable)?
    var stateData: Data?
    let queue = FrameQueue()
    /// The transport was told there is output and has not taken it yet: further frames need no
    /// new notice.
    var writerNotified = false

    /// Whether the transport must be told there is output (it was not told since it last took).
    mutating func notifyWriter() -> Bool {
        guard !writerNotified else { return false }
        writerNotified = true
        return true
    }

    /// Offers `frame` to the queue as the lifecycle decides; on overflow the queue is emptied.
    mutating func push(_ frame: OutboundFrame, size: Int, limits: ConnectionLimits) -> EnqueueResult {
        switch lifecycle.push(size: size, queued: queue.count, limits: limits) {
        case .drop:
            return .dropped
        case .overflow:
            queue.removeAll()
            return .overflow(notify: notifyWriter())
        case .queue:
            queue.append(frame)
            return .queued(notify: notifyWriter())
        }
    }
}

/// What happened to a frame offered to a connection's queue, and whether the transport must be
/// told that there is output.
enum EnqueueResult {
    case queued(notify: Bool)
    case dropped
    case overflow(notify: Bool)
}
