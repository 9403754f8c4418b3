import Synchronization

/// Commits the writes of all rooms together: one transaction, and one fsync, per round.
///
/// A submission that arrives while no commit runs starts one at once. Submissions that arrive
/// while a commit runs wait and are all committed together in the next transaction, in arrival
/// order. Each submission runs in its own savepoint. An error caused by one submission's data
/// (for example its insert reaching `maxDatabaseBytes`) fails only that submission: it is rolled
/// back to its savepoint or, when SQLite rolled back the whole transaction (as it does for most
/// `SQLITE_FULL` errors), the round is retried without it. An error of the database itself
/// (I/O, corruption, a failed commit such as a full disk while writing the WAL) fails every
/// submission of the round. A submitter resumes once its transaction committed, so a returned
/// write is durable.
///
/// One task runs commit rounds for as long as submissions keep arriving, then ends.
final class GroupCommitWriter: Sendable {
    typealias Outcome = Result<Int, StorageError>

    private struct Waiting {
        let submission: StorageSubmission
        let completion: Completion
    }

    /// Who hears a submission's outcome.
    private enum Completion {
        case continuation(CheckedContinuation<Outcome, Never>)
        case callback(@Sendable (Outcome) -> Void)

        func callAsFunction(_ outcome: Outcome) {
            switch self {
            case .continuation(let continuation): continuation.resume(returning: outcome)
            case .callback(let callback): callback(outcome)
            }
        }
    }

    private struct State {
        var queue: [Waiting] = []
        var isCommitting = false
        var isClosed = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let backend: any StorageBackend
    private let onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)?
    private let state = Mutex(State())
    private let hold = Mutex(CommitHold())

    /// Commit rounds held back by `holdCommits()`.
    private struct CommitHold {
        var isHeld = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Creates a writer for `backend`; `onCommit` is told about every committed transaction.
    init(
        backend: any StorageBackend,
        onCommit: (@Sendable (_ submissions: Int, _ duration: Duration) -> Void)?
    ) {
        self.backend = backend
        self.onCommit = onCommit
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Commits `submission` with the next round and returns how many of its deleted keys existed.
    nonisolated(nonsending) func submit(_ submission: StorageSubmission) async -> Outcome {
        await withCheckedContinuation { continuation in
            if !enqueue(submission, .continuation(continuation)) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    /// Queues `submission` for the next round without waiting; `completion` is called with its
    /// outcome on the writer's task, in submission order. Returns false (and never calls
    /// `completion`) when the writer is closed.
    func enqueue(_ submission: StorageSubmission, completion: @escaping @Sendable (Outcome) -> Void) -> Bool {
        enqueue(submission, .callback(completion))
    }

    private func enqueue(_ submission: StorageSubmission, _ completion: Completion) -> Bool {
        enum Next { case rejected, queued, startCommitting }
        let next = state.withLock { state -> Next in
            guard !state.isClosed else { return .rejected }
            state.queue.append(Waiting(submission: submission, completion: completion))
            guard !state.isCommitting else { return .queued }
            state.isCommitting = true
            return .startCommitting
        }
        switch next {
        case .rejected:
            return false
        case .queued:
            return true
        case .startCommitting:
            Task.detached { await self.commitUntilIdle() }
            return true
        }
    }

    /// Refuses new submissions and returns once every accepted one has been committed or failed.
    func close() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                state.isClosed = true
                guard state.isCommitting else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Holds every commit round that has not started until `resumeCommits()`: writes stay
    /// pending (for tests of the output gate).
    func holdCommits() {
        hold.withLock { $0.isHeld = true }
    }

    /// Lets held and later commit rounds run.
    func resumeCommits() {
        let waiters = hold.withLock { hold in
            hold.isHeld = false
            defer { hold.waiters.removeAll() }
            return hold.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func waitWhileHeld() async {
        await withCheckedContinuation { continuation in
            let resumeNow = hold.withLock { hold -> Bool in
                guard hold.isHeld else { return true }
                hold.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Commits rounds until the queue is empty, then wakes ``close()`` callers.
    private func commitUntilIdle() async {
        while true {
            let (batch, idleWaiters) = state.withLock { state in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                guard batch.isEmpty else { return (batch, [CheckedContinuation<Void, Never>]()) }
                state.isCommitting = false
                defer { state.idleWaiters.removeAll() }
                return (batch, state.idleWaiters)
            }
            guard !batch.isEmpty else {
                for waiter in idleWaiters { waiter.resume() }
                return
            }
            if hold.withLock({ $0.isHeld }) { await waitWhileHeld() }
            let outcomes = await commit(batch.map(\.submission))
            for (waiting, outcome) in zip(batch, outcomes) {
                waiting.completion(outcome)
            }
        }
    }

    /// Commits `submissions` through the backend and reports the round to `onCommit`.
    func commit(_ submissions: [StorageSubmission]) async -> [Outcome] {
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = await backend.commit(submissions)
        let committed = outcomes.reduce(0) { count, outcome in
            if case .success = outcome { count + 1 } else { count }
        }
        if committed > 0 { onCommit?(committed, start.duration(to: clock.now)) }
        return outcomes
    }
}
