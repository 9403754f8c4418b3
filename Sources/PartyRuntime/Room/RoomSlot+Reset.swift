import CoreMetrics
import Foundation
import Synchronization

extension RoomSlot {
    /// A write of the room failed to commit (full disk, `maxDatabaseBytes`, I/O error): the room
    /// is reset, so that nobody ever reads state that was not stored.
    ///
    /// The write buffer already discarded every write that was not durable and dropped the output
    /// held behind them. Here the instance is discarded (the next event starts a new one from
    /// storage and the last snapshot, within the same activation), every connection is closed
    /// with 1011 (each may have sent a message whose effect was lost, so its client reconnects
    /// and reloads), and the alarm is read back from storage. Hooks still running on the discarded
    /// instance get `StorageError.roomReset` from storage calls.
    func writeFailed(_ error: StorageError) {
        let discarded = state.withLock { $0.writeFailed() }
        if discarded {
            room.services.admission.roomStopped()
            metrics.roomsLive.decrement()
        }
        metrics.resets.increment()
        let connections = room.registeredConnections
        room.logger.error(
            "a storage write failed; the room is reset: its unstored writes and its instance are discarded, its connections closed with 1011, and its next event starts it again from storage",
            metadata: ["error": "\(error)", "connections": "\(connections.count)"]
        )
        let reason = ConnectionDriver.reason(for: error)
        for connection in connections {
            connection.startClosing(code: CloseCode.internalError, reason: reason)
        }
        let alarms = room.services.alarms
        let key = room.key
        Task { await alarms.reload(key) }
    }

    /// A stop found that the room's last writes failed: releases the instance without a snapshot
    /// (`writeFailed` did the rest).
    func discardAfterFailedWrite() {
        resume(state.withLock { $0.stopDiscarded() }, .retry)
        room.services.admission.roomStopped()
        metrics.roomsLive.decrement()
    }
}
