import DequeModule
import Foundation

extension RoomWriteBuffer {
    /// Everything behind the buffer's lock. Kept small: every room in memory has one, hibernated
    /// ones included, so what only a failed write needs is kept out of line.
    struct BufferState {
        /// Bumped by a failure: batches of an earlier epoch are skipped, their outcomes ignored.
        var epoch: UInt64 = 0
        var overlay = StorageOverlay()
        var open: RoomWriteBatch?
        var lastBatch: UInt64 = 0
        /// Sealed batches in order, and whether each is durable.
        var sealed: Deque<(batch: UInt64, done: Bool)> = []
        /// Every batch up to this one is durable, or was lost by a failure (`lost`).
        var durable: UInt64 = 0
        var waiters: [(batch: UInt64, continuation: CheckedContinuation<StorageError?, Never>)] = []
        /// The failure that reset the room, until its next instance starts (out of line, as
        /// `lost`: rarely set, and every room in memory has this state).
        @OutOfLine var failure: StorageError? = nil
        /// The batches the last failure discarded, and its error.
        @OutOfLine var lost: (batches: ClosedRange<UInt64>, error: StorageError)? = nil
    }
}
