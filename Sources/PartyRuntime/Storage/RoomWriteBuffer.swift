import DequeModule
import Foundation
import Synchronization

/// A room's writes between the call that makes them and the commit that stores them (write
/// coalescing).
///
/// A write made inside an event (a hook run) lands at once in the room's overlay, which later
/// reads see, and in the event's open batch; the batch is sealed when the event ends and
/// committed with the next group commit, so every write of one event is stored atomically and
/// the writes of consecutive events share commits. The output gate holds what the room sends
/// after a write until that write's batch is durable. A write made outside any event (a
/// background task) seals at once, and its call returns once it is durable.
///
/// If a batch fails to commit, every write not yet durable is discarded, held output is dropped,
/// and the failure handler (the room's slot) resets the room; until the next instance starts
/// (`reopen()`), storage calls throw `StorageError.roomReset`.
final class RoomWriteBuffer: Sendable {
    let engine: StorageEngine
    let gate: OutputGate
    let server: Data
    let room: Data
    /// Events running on the room (the input gate keeps this at 0 or 1 unless a type opts out).
    private let depth = Atomic<Int>(0)
    private let state = Mutex(BufferState())
    private let failureHandler = Mutex<(@Sendable (StorageError) -> Void)?>(nil)

    init(engine: StorageEngine, gate: OutputGate, server: Data, room: Data) {
        self.engine = engine
        self.gate = gate
        self.server = server
        self.room = room
    }

    // MARK: Events

    /// An event of the room starts: writes join its batch until `endEvent()`.
    func beginEvent() {
        depth.add(1, ordering: .relaxed)
    }

    /// The event ends: seals the open batch and hands it to the group commit.
    func endEvent() {
        depth.subtract(1, ordering: .relaxed)
        seal()
    }

    /// Whether an event runs (writes then wait for its end instead of sealing at once).
    var inEvent: Bool { depth.load(ordering: .relaxed) > 0 }

    /// Makes the room's slot hear about failed writes; the room then keeps failing storage calls
    /// until `reopen()`. Without a handler (storage used on its own) a failure only fails the
    /// writes it discarded.
    func onFailure(_ handler: @escaping @Sendable (StorageError) -> Void) {
        failureHandler.withLock { $0 = handler }
    }

    /// A new instance starts after a reset: storage calls work again.
    func reopen() {
        state.withLock { $0.failure = nil }
    }

    // MARK: Reading

    /// What the pending writes say about `key`; throws after a failed write reset the room.
    func lookup(_ key: Data) throws(StorageError) -> StorageOverlay.Lookup {
        try state.withLock { (state) throws(StorageError) -> StorageOverlay.Lookup in
            if let failure = state.failure { throw .roomReset(failure.description) }
            return state.overlay.lookup(key)
        }
    }

    /// The pending writes, to merge with database rows.
    func overlay() throws(StorageError) -> StorageOverlay {
        try state.withLock { (state) throws(StorageError) -> StorageOverlay in
            if let failure = state.failure { throw .roomReset(failure.description) }
            return state.overlay
        }
    }

    // MARK: Writing

    /// Records `changes` atomically in the open batch and the overlay. With `confirmed`, output
    /// the room sends from now on waits for them. Returns the batch.
    @discardableResult
    func write(_ changes: some Sequence<RoomWriteBatch.Change>, confirmed: Bool) throws(StorageError) -> UInt64 {
        let batch = try state.withLock { (state) throws(StorageError) -> UInt64 in
            if let failure = state.failure { throw .roomReset(failure.description) }
            // Taken out of the state, so recording does not copy the batch's writes.
            var open = state.open.take() ?? state.openBatch()
            for change in changes {
                open.record(change)
                switch change {
                case .put(let key, let value): state.overlay.set(key, value, batch: open.batch)
                case .delete(let key): state.overlay.set(key, nil, batch: open.batch)
                case .deleteAll: state.overlay.clearAll(batch: open.batch)
                case .alarm: break
                }
            }
            state.open = open
            return open.batch
        }
        if confirmed { gate.noteWrite(batch) }
        return batch
    }

    /// Output sent from now on waits for the open batch (a transaction's body runs): opens one
    /// if needed. Returns the batch.
    @discardableResult
    func holdOutput() throws(StorageError) -> UInt64 {
        try write(EmptyCollection(), confirmed: true)
    }

    /// Seals the open batch, if any, and submits it; an empty one is durable at once.
    func seal() {
        // Submitted under the lock, so two seals racing (events of a type without the input gate)
        // reach the group commit in the order of their batches.
        let next = state.withLock { state -> SealOutcome? in
            guard let open = state.open.take() else { return nil }
            let operations = open.operations
            state.sealed.append((open.batch, operations.isEmpty))
            guard !operations.isEmpty else { return state.advance().map(SealOutcome.released) }
            let (batch, epoch) = (open.batch, state.epoch)
            let submission = StorageSubmission(
                server: server, room: room, operations: operations, owner: SubmissionOwner(buffer: self, epoch: epoch)
            )
            let accepted = engine.writer.enqueue(submission) { [self] outcome in
                self.finished(batch: batch, epoch: epoch, outcome: outcome)
            }
            return accepted ? nil : .rejected(epoch)
        }
        switch next {
        case nil: break
        case .released(let released)?: finishWaiters(through: released)
        case .rejected(let epoch)?: fail(.closed, epoch: epoch)
        }
    }

    /// What sealing led to, acted on outside the lock.
    private enum SealOutcome {
        /// An empty batch completed the durable prefix up to this batch.
        case released(UInt64)
        /// The group commit is closed (the server stops): the batch of this epoch is lost.
        case rejected(UInt64)
    }

    /// Seals and waits until every write made so far is durable; returns the error if a write
    /// failed instead (the room was then reset).
    func flush() async -> StorageError? {
        let target = state.withLock { $0.open?.batch ?? $0.lastBatch }
        seal()
        return await waitDurable(target)
    }

    /// Waits until batch `batch` is durable (it must be sealed, or be sealed by an event's end);
    /// returns the error if a failure discarded it.
    func waitDurable(_ batch: UInt64) async -> StorageError? {
        guard batch > 0 else { return nil }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> StorageError?? in
                if let lost = state.lost, lost.batches.contains(batch) { return .some(lost.error) }
                if state.durable >= batch { return .some(nil) }
                if let failure = state.failure { return .some(.roomReset(failure.description)) }
                state.waiters.append((batch, continuation))
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Callers waiting in `waitDurable` (held HTTP responses, `sync()`).
    var durabilityWaiters: Int { state.withLock { $0.waiters.count } }

    /// Whether batches of `epoch` may still be committed (no failure since).
    func isCurrent(_ epoch: UInt64) -> Bool {
        state.withLock { $0.epoch == epoch }
    }

    // MARK: Commit outcomes

    /// The group commit finished `batch`.
    private func finished(batch: UInt64, epoch: UInt64, outcome: GroupCommitWriter.Outcome) {
        switch outcome {
        case .success:
            let released = state.withLock { state -> UInt64? in
                guard state.epoch == epoch else { return nil }
                if let index = state.sealed.firstIndex(where: { $0.batch == batch }) { state.sealed[index].done = true }
                state.overlay.removeCommitted(through: batch)
                return state.advance()
            }
            if let released { finishWaiters(through: released) }
        case .failure(let error):
            fail(error, epoch: epoch)
        }
    }

    /// Discards every write not yet durable, drops held output, wakes waiters with the error and
    /// tells the failure handler; later batches of the same epoch will be skipped.
    private func fail(_ error: StorageError, epoch: UInt64) {
        let handler = failureHandler.withLock { $0 }
        let waiters = state.withLock { state -> [CheckedContinuation<StorageError?, Never>]? in
            guard state.epoch == epoch else { return nil }
            state.epoch &+= 1
            if handler != nil { state.failure = error }
            if state.lastBatch > state.durable { state.lost = ((state.durable + 1)...state.lastBatch, error) }
            state.overlay.removeAll()
            state.open = nil
            state.sealed.removeAll()
            state.durable = state.lastBatch
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        guard let waiters else { return }
        gate.discardHeld()
        for waiter in waiters { waiter.resume(returning: error) }
        handler?(error)
    }

    private func finishWaiters(through released: UInt64) {
        gate.release(through: released)
        let ready = state.withLock { state -> [CheckedContinuation<StorageError?, Never>] in
            guard state.waiters.contains(where: { $0.batch <= released }) else { return [] }
            var ready: [CheckedContinuation<StorageError?, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.batch <= released else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for waiter in ready { waiter.resume(returning: nil) }
    }
}

extension RoomWriteBuffer.BufferState {
    /// A new open batch with the next number.
    mutating func openBatch() -> RoomWriteBatch {
        lastBatch &+= 1
        return RoomWriteBatch(batch: lastBatch)
    }

    /// Moves `durable` over the sealed batches that are done; returns it if it moved.
    mutating func advance() -> UInt64? {
        var moved = false
        while let first = sealed.first, first.done {
            durable = first.batch
            sealed.removeFirst()
            moved = true
        }
        return moved ? durable : nil
    }
}
