import NIOCore

/// The resend scenario's view of its connections, which all share one event loop (the steps run
/// one after another, so one loop is enough): waits for conditions on them, adds the sender's
/// actions in `sync` batches with a few batches in flight, and times the resend.
final class LoguxResendWatch: LoguxObserver, @unchecked Sendable {
    let loop: any EventLoop
    private var condition: (@Sendable () -> Bool)?
    private var promise: EventLoopPromise<Void>?
    /// The first reason the scenario cannot go on.
    private(set) var failure: String?
    private(set) var pongs = 0
    /// When the last new increment arrived (monotonic).
    private(set) var lastDelivery: UInt64 = 0
    /// When the last `connected` arrived (monotonic).
    private(set) var connectedAt: UInt64 = 0
    /// Connections this scenario closes on purpose (their close is not a failure).
    var closing: Set<Int> = []

    // Adding.
    private var adder: LoguxClient?
    private var next = 0
    private var end = 0
    private var batch = 1
    private var window = 1
    private(set) var inFlight = 0

    /// A watch of connections on `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Waits until `condition` (checked on the loop after every event) holds, the deadline
    /// passes, or the scenario fails.
    func wait(until deadline: NIODeadline, _ condition: @escaping @Sendable () -> Bool) async -> Result<Void, RunFailure> {
        let future = loop.flatSubmit { [self] () -> EventLoopFuture<Void> in
            if let failure { return loop.makeFailedFuture(RunFailure.aborted(failure)) }
            if condition() { return loop.makeSucceededFuture(()) }
            let promise = loop.makePromise(of: Void.self)
            self.condition = condition
            self.promise = promise
            return promise.futureResult
        }
        let result = await future.wait(until: deadline)
        if case .failure = result {
            loop.execute { [self] in
                self.condition = nil
                promise.take()?.fail(RunFailure.timeout)
            }
        }
        return result
    }

    /// Runs `body` on the loop and returns its value.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T? {
        try? await loop.submit(body).get()
    }

    /// Starts adding increments `first ..< first + count` from `sender`, `batch` per `sync`,
    /// `window` batches awaiting `synced`; call on the loop.
    func startAdding(_ sender: LoguxClient, first: Int, count: Int, batch: Int, window: Int) {
        loop.preconditionInEventLoop()
        adder = sender
        next = first
        end = first + count
        self.batch = batch
        self.window = window
        inFlight = 0
        pumpAdds()
    }

    /// Whether every batch was sent and confirmed with `synced`.
    var addingDone: Bool { next >= end && inFlight == 0 }

    /// Sends batches while fewer than `window` await `synced`.
    private func pumpAdds() {
        guard let adder else { return }
        while next < end, inFlight < window {
            let count = min(batch, end - next)
            adder.sendIncrements(first: next, count: count)
            next += count
            inFlight += 1
        }
    }

    /// Completes the wait if its condition holds now.
    private func check() {
        guard let condition, condition() else { return }
        self.condition = nil
        promise.take()?.succeed(())
    }

    /// Records the first failure and ends the wait with it.
    private func fail(_ reason: String) {
        if failure == nil { failure = reason }
        condition = nil
        promise.take()?.fail(RunFailure.aborted(reason))
    }

    // MARK: LoguxObserver

    /// Records when `connected` arrived.
    func loguxConnected(_ client: LoguxClient, now: UInt64) {
        connectedAt = now
        check()
    }

    /// Records when the latest increment arrived.
    func logux(_ client: LoguxClient, delivered sequence: Int, now: UInt64) {
        lastDelivery = now
        check()
    }

    /// Checks the waited-for condition.
    func logux(_ client: LoguxClient, processed sequence: Int, now: UInt64) {
        check()
    }

    /// A batch of the sender is durable: the next one may go.
    func logux(_ client: LoguxClient, synced added: Int) {
        if client === adder {
            inFlight -= 1
            pumpAdds()
        }
        check()
    }

    /// Counts the pong.
    func loguxPong(_ client: LoguxClient) {
        pongs += 1
        check()
    }

    /// Fails the scenario.
    func logux(_ client: LoguxClient, failed reason: String) {
        fail(reason)
    }

    /// A close the scenario did not start fails it.
    func loguxDidClose(_ client: LoguxClient, _ info: WebSocketCloseInfo) {
        guard !closing.contains(client.index), info.wasOpen else {
            check()
            return
        }
        let code = info.serverCode.map { " with code \($0)" } ?? " without a close frame"
        fail("connection \(client.index) (\(client.node)) was closed by the server\(code)")
    }
}
