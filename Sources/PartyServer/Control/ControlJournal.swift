import Foundation
import Logging
import Synchronization

/// Writes the control records of rooms (`StoredRoomRecord`) to the storage database, through the
/// storage engine's group commit.
///
/// `RoomDirectory` hands every change to `write` under its lock, so changes arrive in the order
/// they were made; each gets the next sequence number. Changes wait as the latest record per room
/// (a newer change of a room replaces one not yet written). At most one write is in flight: a
/// change that arrives while no write runs starts one at once, changes that arrive meanwhile go
/// in the next one. `waitUntilStored` returns once a change is durable. As `GroupCommitWriter`
/// does, one task writes for as long as changes keep arriving, then ends.
final class ControlJournal: Sendable {
    private struct Change {
        /// The record to store; nil deletes it.
        var record: StoredRoomRecord?
        /// For a deletion: the activation the stored record must have (nil: whatever it has).
        var removing: UInt64?
        var sequence: UInt64
    }

    private struct Waiter {
        var key: RoomKey
        var sequence: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [RoomKey: Change] = [:]
        /// The last sequence handed out.
        var sequence: UInt64 = 0
        /// Every change up to this sequence has been written or has failed.
        var completed: UInt64 = 0
        /// The latest failed change per room, until a later change of the room is written.
        var failed: [RoomKey: (sequence: UInt64, error: StorageError)] = [:]
        var isWriting = false
        var isClosed = false
        var waiters: [Waiter] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []

        /// The outcome for a change of `key` with `sequence`, once it is known.
        func outcome(_ key: RoomKey, _ sequence: UInt64) -> Result<Void, StorageError>? {
            guard sequence <= completed else { return nil }
            if let failure = failed[key], failure.sequence >= sequence { return .failure(failure.error) }
            return .success(())
        }
    }

    private let engine: StorageEngine
    private let logger: Logger
    private let state = Mutex(State())

    /// A journal writing to `engine`.
    init(engine: StorageEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    /// Queues `record` (nil: delete, with `removing` only the record of that activation) as the
    /// latest record of `key`; returns the change's sequence. Cheap: called under the directory's lock.
    @discardableResult
    func write(_ key: RoomKey, _ record: StoredRoomRecord?, removing: UInt64? = nil) -> UInt64 {
        let (sequence, start) = state.withLock { state -> (UInt64, Bool) in
            state.sequence &+= 1
            let sequence = state.sequence
            if state.isClosed && !state.isWriting {
                // Shut down: nothing is written any more.
                state.failed[key] = (sequence, .closed)
                state.completed = sequence
                return (sequence, false)
            }
            state.pending[key] = Change(record: record, removing: removing, sequence: sequence)
            guard !state.isWriting else { return (sequence, false) }
            state.isWriting = true
            return (sequence, true)
        }
        if start { Task.detached { await self.writeUntilIdle() } }
        return sequence
    }

    /// Returns once the change `sequence` of `key` (or a later one of that room) is durable;
    /// throws the storage error if it could not be written.
    func waitUntilStored(_ key: RoomKey, sequence: UInt64) async throws(StorageError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let known = state.withLock { state -> Result<Void, StorageError>? in
                    if let outcome = state.outcome(key, sequence) { return outcome }
                    state.waiters.append(Waiter(key: key, sequence: sequence, continuation: continuation))
                    return nil
                }
                if let known { continuation.resume(with: known) }
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw .ioFailed("\(error)")
        }
    }

    /// Waits until every queued change is written (or failed); later changes are not written.
    func close() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                state.isClosed = true
                guard state.isWriting else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Writes batches until no change is pending, then wakes `close()` callers.
    private func writeUntilIdle() async {
        while true {
            let (batch, upTo, idleWaiters) = state.withLock { state in
                let batch = state.pending
                state.pending = [:]
                guard batch.isEmpty else { return (batch, state.sequence, [CheckedContinuation<Void, Never>]()) }
                state.isWriting = false
                defer { state.idleWaiters.removeAll() }
                return (batch, state.sequence, state.idleWaiters)
            }
            guard !batch.isEmpty else {
                for waiter in idleWaiters { waiter.resume() }
                return
            }
            let failures = await store(batch)
            let resumed = state.withLock { state -> [(CheckedContinuation<Void, any Error>, Result<Void, StorageError>)] in
                state.completed = upTo
                for (key, change) in batch {
                    if let error = failures[key] {
                        state.failed[key] = (change.sequence, error)
                    } else if let failure = state.failed[key], failure.sequence <= change.sequence {
                        state.failed[key] = nil
                    }
                }
                var resumed: [(CheckedContinuation<Void, any Error>, Result<Void, StorageError>)] = []
                var waiting: [Waiter] = []
                for waiter in state.waiters {
                    if let outcome = state.outcome(waiter.key, waiter.sequence) {
                        resumed.append((waiter.continuation, outcome))
                    } else {
                        waiting.append(waiter)
                    }
                }
                state.waiters = waiting
                return resumed
            }
            for (continuation, outcome) in resumed {
                continuation.resume(with: outcome.mapError { $0 as any Error })
            }
        }
    }

    /// Writes one batch, a submission per room, all in the same group commit as far as the
    /// writer allows; returns the rooms whose write failed.
    private func store(_ batch: [RoomKey: Change]) async -> [RoomKey: StorageError] {
        let engine = self.engine
        return await withTaskGroup(of: (RoomKey, StorageError?).self) { group in
            for (key, change) in batch {
                group.addTask {
                    let operation: StorageOperation
                    do {
                        operation = try change.record.map { record in
                            .putControlRecord(try record.encoded(), activation: record.activation, heldKey: record.heldKey)
                        } ?? .deleteControlRecord(activation: change.removing)
                    } catch {
                        return (key, .encodingFailed(key: "\(key)", description: "\(error)"))
                    }
                    let submission = StorageSubmission(server: Data(key.server.utf8), room: Data(key.name.utf8), operations: [operation])
                    do throws(StorageError) {
                        try await engine.submit(submission)
                        return (key, nil)
                    } catch {
                        return (key, error)
                    }
                }
            }
            var failures: [RoomKey: StorageError] = [:]
            for await (key, error) in group {
                guard let error else { continue }
                failures[key] = error
                if case .keyTaken = error {
                    // Another node's room took the key first: the spawn is rolled back and looked up again.
                    logger.debug("a spawned room's key is held by another room", metadata: ["room": "\(key)"])
                } else if error != .closed {
                    logger.error("a room's control record was not stored", metadata: ["room": "\(key)", "error": "\(error)"])
                }
            }
            return failures
        }
    }
}
