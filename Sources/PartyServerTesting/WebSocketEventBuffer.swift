import NIOCore
import Synchronization

/// A thread-safe, ordered buffer of ``TestWebSocket/Event``s with deadline-bounded waiting.
///
/// Every waiter is removed from `waiters` under the lock before it is resumed, so each
/// continuation is resumed exactly once: by an event, by the disconnect, by its deadline
/// timer or by task cancellation — whichever removes it first.
final class WebSocketEventBuffer: Sendable {
    /// A suspended call to ``next(deadline:)``.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<TestWebSocket.Event, any Error>
        var timer: Scheduled<Void>?
    }

    /// The lock-protected state.
    private struct State {
        var events = CircularBuffer<TestWebSocket.Event>()
        var waiters: [Waiter] = []
        var cancelledBeforeWaiting: Set<UInt64> = []
        var nextID: UInt64 = 0
        var disconnected = false
    }

    private let state = Mutex(State())
    /// The event loop used to run deadline timers.
    private let timerLoop: any EventLoop

    /// Creates an empty buffer whose deadlines fire on `timerLoop`.
    init(timerLoop: any EventLoop) {
        self.timerLoop = timerLoop
    }

    /// Records `event`, handing it to the oldest waiter if there is one; ignored after the disconnect.
    func append(_ event: TestWebSocket.Event) {
        let waiter = state.withLock { state -> Waiter? in
            if state.disconnected { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.events.append(event)
            return nil
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(returning: event)
    }

    /// Records the disconnect; once the buffer is drained every wait returns `.disconnected`.
    func markDisconnected() {
        let waiters = state.withLock { state -> [Waiter] in
            if state.disconnected { return [] }
            state.disconnected = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .disconnected)
        }
    }

    /// Removes and returns all buffered events, plus `.disconnected` if the disconnect has been recorded.
    func drain() -> [TestWebSocket.Event] {
        state.withLock { state -> [TestWebSocket.Event] in
            var drained = Array(state.events)
            state.events.removeAll()
            if state.disconnected { drained.append(.disconnected) }
            return drained
        }
    }

    /// Returns the next event, throwing ``TestWebSocketError/timeout`` at `deadline`.
    func next(deadline: NIODeadline) async throws -> TestWebSocket.Event {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        defer { state.withLock { _ = $0.cancelledBeforeWaiting.remove(id) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TestWebSocket.Event, any Error>) in
                let immediate = state.withLock { state -> Result<TestWebSocket.Event, any Error>? in
                    if let event = state.events.popFirst() { return .success(event) }
                    if state.disconnected { return .success(.disconnected) }
                    if state.cancelledBeforeWaiting.contains(id) { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timer: nil))
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                    return
                }
                let timer = timerLoop.scheduleTask(deadline: deadline) {
                    self.removeWaiter(id: id, failingWith: TestWebSocketError.timeout, rememberIfAbsent: false)
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiters[index].timer = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            self.removeWaiter(id: id, failingWith: CancellationError(), rememberIfAbsent: true)
        }
    }

    /// Fails the waiter `id` if it is still waiting; otherwise optionally remembers the cancellation.
    private func removeWaiter(id: UInt64, failingWith error: any Error, rememberIfAbsent: Bool) {
        let waiter = state.withLock { state -> Waiter? in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                return state.waiters.remove(at: index)
            }
            if rememberIfAbsent { state.cancelledBeforeWaiting.insert(id) }
            return nil
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
    }
}
