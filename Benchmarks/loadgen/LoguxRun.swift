import Histogram
import NIOCore
import Synchronization

/// The shared state of a `logux` throughput run: one sender adds `counter/increment` actions,
/// one per `sync`, keeping at most `window` in flight (an action is in flight until the sender
/// has its `logux/processed` and every subscriber has received it); every subscriber of the
/// channel must receive every action exactly once.
final class LoguxRun: LoguxObserver, Sendable {
    /// The sender's node id; its increments are the ones subscribers count.
    static let senderNode = "sender:1:1"

    let subscriberCount: Int
    let warmup: Int
    let measured: Int
    let window: Int
    /// Connection 0 sends; connections 1 ... subscribers subscribe.
    let clients: [LoguxClient]
    let states: [LoguxLoopState]
    /// The sender's own accounting, confined to its loop.
    let pace: LoguxSenderPace
    /// Per action (index = sequence - 1): when it was sent, monotonic nanoseconds.
    let sentAt: AtomicCounters
    /// Per action: deliveries plus `logux/processed` still to come.
    let remaining: AtomicCounters
    /// Actions with nothing left to come.
    let completed = Atomic<Int>(0)
    /// 1 while the sender waits for its window to open.
    let waiting = Atomic<Int>(0)
    let connected: CountdownSignal
    let subscribed: CountdownSignal
    let warmupDone: CountdownSignal
    let measureDone: CountdownSignal
    /// Set once the load is over and connections are being closed on purpose.
    let finishing = Atomic<Bool>(false)
    /// The first reason the run was aborted.
    let failure = Mutex<String?>(nil)

    /// A run with `subscribers` subscribers, `warmup` unmeasured then `measured` measured actions.
    init(subscribers: Int, warmup: Int, measured: Int, window: Int, states: [LoguxLoopState]) {
        self.subscriberCount = subscribers
        self.warmup = warmup
        self.measured = measured
        self.window = window
        self.states = states
        let total = warmup + measured
        sentAt = AtomicCounters(count: total, initialValue: 0)
        remaining = AtomicCounters(count: total, initialValue: subscribers + 1)
        var clients: [LoguxClient] = []
        for index in 0...subscribers {
            let node = index == 0 ? Self.senderNode : "sub\(index):1:1"
            clients.append(LoguxClient(index: index, node: node, state: states[index % states.count]))
        }
        self.clients = clients
        pace = LoguxSenderPace(total: total)
        let loop = states[0].loop
        connected = CountdownSignal(count: clients.count, on: loop)
        subscribed = CountdownSignal(count: subscribers, on: loop)
        warmupDone = CountdownSignal(count: warmup, on: loop)
        measureDone = CountdownSignal(count: measured, on: loop)
        for client in clients { client.observer = self }
    }

    var sender: LoguxClient { clients[0] }
    var isFinishing: Bool { finishing.load(ordering: .sequentiallyConsistent) }

    /// Ends every wait at once.
    func abort(_ reason: String) {
        let first = failure.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        for signal in [connected, subscribed, warmupDone, measureDone] { signal.fail(RunFailure.aborted(reason)) }
    }

    // MARK: Sending

    /// Sends actions up to (not including) index `end`, `window` in flight; call on the sender's loop.
    func startPhase(end: Int) {
        sender.loop.preconditionInEventLoop()
        pace.phaseEnd = end
        pump()
    }

    /// Sends while fewer than `window` actions are in flight.
    func pump() {
        let sender = self.sender
        var wrote = false
        while pace.sent < pace.phaseEnd {
            if pace.sent - completed.load(ordering: .sequentiallyConsistent) >= window {
                waiting.store(1, ordering: .sequentiallyConsistent)
                if pace.sent - completed.load(ordering: .sequentiallyConsistent) >= window { break }
                waiting.store(0, ordering: .sequentiallyConsistent)
            }
            let action = pace.sent
            pace.sent += 1
            let now = monotonicNanoseconds()
            if action >= warmup, pace.firstMeasuredSend == .max { pace.firstMeasuredSend = now }
            sentAt.store(action, Int(truncatingIfNeeded: now))
            sender.queueIncrement(sequence: action + 1)
            wrote = true
        }
        if wrote { sender.flush() }
    }

    /// One more delivery or `logux/processed` of action `action`; the last one completes it.
    @inline(__always)
    private func arrived(_ action: Int) {
        guard remaining.add(action, -1) == 0 else { return }
        completed.add(1, ordering: .sequentiallyConsistent)
        if action < warmup { warmupDone.countDown() } else { measureDone.countDown() }
        if waiting.exchange(0, ordering: .sequentiallyConsistent) == 1 {
            let sender = self.sender
            sender.loop.execute { self.pump() }
        }
    }

    // MARK: LoguxObserver

    /// Counts the connection in.
    func loguxConnected(_ client: LoguxClient, now: UInt64) {
        connected.countDown()
    }

    /// Records a subscriber's delivery.
    func logux(_ client: LoguxClient, delivered sequence: Int, now: UInt64) {
        let action = sequence - 1
        let state = client.state
        if action >= warmup {
            state.delivered += 1
            let sent = UInt64(truncatingIfNeeded: sentAt.load(action))
            state.histogram.record(now > sent ? now - sent : 0)
            if now > state.lastEvent { state.lastEvent = now }
        } else {
            state.warmupDelivered += 1
        }
        arrived(action)
    }

    /// The sender's action is processed; a subscriber's subscription is in place.
    func logux(_ client: LoguxClient, processed sequence: Int, now: UInt64) {
        guard client.index == 0 else {
            if sequence == 1 { subscribed.countDown() }
            return
        }
        let action = sequence - 1
        guard action >= 0, action < pace.sent else {
            abort("the sender got logux/processed for action \(sequence), which it did not send")
            return
        }
        pace.processed += 1
        if action >= warmup {
            let sent = UInt64(truncatingIfNeeded: sentAt.load(action))
            pace.histogram.record(now > sent ? now - sent : 0)
            if now > client.state.lastEvent { client.state.lastEvent = now }
        }
        arrived(action)
    }

    /// Counts the sender's `synced` answers.
    func logux(_ client: LoguxClient, synced added: Int) {
        if client.index == 0 { pace.synced += 1 }
    }

    /// Pongs are not used here.
    func loguxPong(_ client: LoguxClient) {}

    /// Aborts the run.
    func logux(_ client: LoguxClient, failed reason: String) {
        abort(reason)
    }

    /// A close the run did not start aborts it.
    func loguxDidClose(_ client: LoguxClient, _ info: WebSocketCloseInfo) {
        guard !isFinishing, info.wasOpen else { return }
        let code = info.serverCode.map { " with code \($0)" } ?? " without a close frame"
        abort("connection \(client.index) (\(client.node)) was closed by the server\(code) during the run")
    }
}

/// The sender's side of a throughput run, confined to the sender's loop.
final class LoguxSenderPace: @unchecked Sendable {
    /// Actions sent so far, and where the current phase stops.
    var sent = 0
    var phaseEnd = 0
    var firstMeasuredSend: UInt64 = .max
    /// `logux/processed` and `synced` answers received.
    var processed = 0
    var synced = 0
    /// Send-to-processed times of measured actions, nanoseconds.
    var histogram = makeLatencyHistogram()
    let total: Int

    /// Accounting for `total` actions.
    init(total: Int) {
        self.total = total
    }

    /// A copy of the figures, taken on the sender's loop.
    func totals() -> Totals {
        Totals(firstMeasuredSend: firstMeasuredSend, processed: processed, synced: synced, histogram: histogram)
    }

    /// The sender's figures at the end of the run.
    struct Totals: Sendable {
        var firstMeasuredSend: UInt64
        var processed: Int
        var synced: Int
        var histogram: Histogram<UInt64>
    }
}
