import DequeModule
import Foundation

/// The mutable part of a connection, behind its lock.
struct ConnectionStorage: Sendable {
    var status: ConnectionStatus = .open
    var tags: [String]
    var stateValue: (any Sendable)?
    var stateData: Data?
    var queue: Deque<OutboundFrame> = []
    var queuedBytes = 0
    var writerFinished = false
    var waiter: CheckedContinuation<Void, Never>?

    init(tags: [String]) {
        self.tags = tags
    }

    mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }
}
