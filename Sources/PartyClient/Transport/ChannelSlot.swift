import NIOCore
import Synchronization

/// The channel of one connection attempt, so that cancelling the attempt closes it at once,
/// even while the TCP connect is still in progress.
final class ChannelSlot: Sendable {
    private let state = Mutex<(channel: (any Channel)?, cancelled: Bool)>((nil, false))

    /// Records `channel`; returns false (and closes it) if the attempt was already cancelled.
    func register(_ channel: any Channel) -> Bool {
        let cancelled = state.withLock { state in
            state.channel = channel
            return state.cancelled
        }
        if cancelled { channel.close(promise: nil) }
        return !cancelled
    }

    /// Marks the attempt cancelled and closes its channel if it has one.
    func cancel() {
        let channel = state.withLock { state in
            state.cancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
    }
}
