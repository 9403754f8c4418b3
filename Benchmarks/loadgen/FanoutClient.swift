import Histogram
import NIOCore
import Synchronization

/// The fanout scenario's parameters.
struct FanoutConfig: Sendable {
    var rooms: Int
    var clients: Int
    var senders: Int
    var messages: Int
    var bytes: Int
    var warmupMessages: Int
    /// Messages per second per sender; nil = window mode.
    var rate: Double?
    /// Messages per sender in flight (sent, not yet received by every receiver of the room).
    var window: Int
    var probeInterval: TimeAmount

    /// Sequence numbers per sender: warm-up messages first, then measured ones.
    var sequencesPerSender: Int { warmupMessages + messages }
    var totalClients: Int { rooms * clients }
    var totalSenders: Int { rooms * senders }
    /// Measured deliveries expected over the whole run.
    var expectedDeliveries: Int { rooms * senders * (clients - 1) * messages }
    var expectedWarmupDeliveries: Int { rooms * senders * (clients - 1) * warmupMessages }
}

/// Per-event-loop accounting: only ever touched on `loop`, merged at the end.
final class LoopState: @unchecked Sendable {
    let loop: any EventLoop
    var clients: [FanoutClient] = []
    var tally = DeliveryTally()
    /// Accepted messages of any kind (readiness included): the stall detector's heartbeat.
    var progress = 0

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// What this loop saw, taken on the loop.
    struct Snapshot: Sendable {
        var tally: DeliveryTally
        var firstSend: UInt64 = .max
        var lastSend: UInt64 = 0
        var notReady = 0
        var missing: [String] = []
    }

    func snapshot(config: FanoutConfig, maxExamples: Int) -> Snapshot {
        loop.preconditionInEventLoop()
        var snapshot = Snapshot(tally: tally)
        for client in clients {
            if client.isSender {
                snapshot.firstSend = min(snapshot.firstSend, client.firstMeasuredSend)
                snapshot.lastSend = max(snapshot.lastSend, client.lastSend)
            }
            if client.slot != 0, !client.ready { snapshot.notReady += 1 }
            if snapshot.missing.count < maxExamples {
                snapshot.missing += client.missingExamples(limit: maxExamples - snapshot.missing.count)
            }
        }
        return snapshot
    }
}

/// Everything the connections of a run share across event loops.
final class FanoutRun: Sendable {
    let config: FanoutConfig
    /// All connections, index = room * clients + slot; slots 0..<senders send, slot 0 also probes.
    let clients: [FanoutClient]
    /// Per sender (room * senders + slot): messages every receiver has received.
    let completed: AtomicCounters
    /// Per sender: 1 while the sender waits for its window to open.
    let waiting: AtomicCounters
    /// Window mode: per sender and sequence number, receivers still to receive it.
    let remaining: AtomicCounters?
    /// Per room: receivers that have not yet received a readiness probe.
    let roomPending: AtomicCounters
    let ready: CountdownSignal
    let warmupDone: CountdownSignal
    let measureDone: CountdownSignal
    /// Set once the load is over and connections are being closed on purpose.
    let finishing = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)

    init(config: FanoutConfig, loops: [LoopState]) {
        self.config = config
        let signalLoop = loops[0].loop
        completed = AtomicCounters(count: config.totalSenders, initialValue: 0)
        waiting = AtomicCounters(count: config.totalSenders, initialValue: 0)
        remaining = config.rate == nil
            ? AtomicCounters(count: config.totalSenders * config.sequencesPerSender, initialValue: config.clients - 1)
            : nil
        roomPending = AtomicCounters(count: config.rooms, initialValue: config.clients - 1)
        ready = CountdownSignal(count: config.clients > 1 ? config.rooms : 0, on: signalLoop)
        var clients: [FanoutClient] = []
        clients.reserveCapacity(config.totalClients)
        var receivers = 0
        for index in 0..<config.totalClients {
            let state = loops[index % loops.count]
            let client = FanoutClient(index: index, config: config, state: state)
            if client.totalTarget > 0 { receivers += 1 }
            clients.append(client)
        }
        self.clients = clients
        warmupDone = CountdownSignal(count: config.warmupMessages > 0 ? receivers : 0, on: signalLoop)
        measureDone = CountdownSignal(count: receivers, on: signalLoop)
        for client in clients {
            client.run = self
            client.state.clients.append(client)
        }
    }

    var isFinishing: Bool { finishing.load(ordering: .sequentiallyConsistent) }

    /// Ends every wait at once (a connection dropped, so messages can no longer all arrive).
    func abort(_ reason: String) {
        let first = failure.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        ready.fail(RunFailure.aborted(reason))
        warmupDone.fail(RunFailure.aborted(reason))
        measureDone.fail(RunFailure.aborted(reason))
    }

    @inline(__always)
    func receiverReady(room: Int) {
        if roomPending.add(room, -1) == 0 {
            ready.countDown()
        }
    }

    /// One of sender `senderNumber`'s messages reached its last receiver: its window opens by one.
    @inline(__always)
    func messageCompleted(senderNumber: Int) {
        completed.add(senderNumber, 1)
        if waiting.exchange(senderNumber, 0) == 1 {
            let sender = clients[senderIndex(senderNumber)]
            sender.loop.execute { sender.pump() }
        }
    }

    @inline(__always)
    func senderIndex(_ senderNumber: Int) -> Int {
        (senderNumber / config.senders) * config.clients + senderNumber % config.senders
    }
}

/// One connection of the fanout scenario: a receiver, and a sender if its slot < senders.
/// Confined to its event loop (`loop`), except for the immutable fields.
final class FanoutClient: WebSocketSink, @unchecked Sendable {
    let index: Int
    let room: Int
    let slot: Int
    let config: FanoutConfig
    let state: LoopState
    unowned(unsafe) var run: FanoutRun!
    var ws: WebSocketClient?

    var loop: any EventLoop { state.loop }
    var isSender: Bool { slot < config.senders }
    var senderNumber: Int { room * config.senders + slot }

    // Receiving
    private var seen: [UInt64]
    private var highest: [Int]
    private var receivedFrom: [Int]
    private var measuredFrom: [Int]
    private var received = 0
    let warmupTarget: Int
    let totalTarget: Int
    private(set) var ready = false

    // Sending
    private var sent = 0
    private var phaseEnd = 0
    private(set) var firstMeasuredSend: UInt64 = .max
    private(set) var lastSend: UInt64 = 0
    private var timer: Scheduled<Void>?
    private var probesSent = 0

    init(index: Int, config: FanoutConfig, state: LoopState) {
        self.index = index
        self.room = index / config.clients
        self.slot = index % config.clients
        self.config = config
        self.state = state
        let sequences = config.sequencesPerSender
        seen = [UInt64](repeating: 0, count: (config.senders * sequences + 63) / 64)
        highest = [Int](repeating: -1, count: config.senders)
        receivedFrom = [Int](repeating: 0, count: config.senders)
        measuredFrom = [Int](repeating: 0, count: config.senders)
        let sendersHeard = config.senders - (slot < config.senders ? 1 : 0)
        warmupTarget = sendersHeard * config.warmupMessages
        totalTarget = sendersHeard * sequences
    }

    // MARK: Receiving

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        guard isText, payload.count == config.bytes, let header = Payload.parse(payload) else {
            state.tally.unexpected += 1
            return
        }
        let sender = header.sender
        let senderSlot = sender % config.clients
        guard sender < config.totalClients, sender / config.clients == room, sender != index,
            senderSlot < config.senders || (header.kind == .probe && senderSlot == 0)
        else {
            state.tally.unexpected += 1
            return
        }
        let sequence = header.sequence
        switch header.kind {
        case .probe:
            if !ready {
                ready = true
                state.progress += 1
                run.receiverReady(room: room)
            }
            return
        case .warmup:
            guard sequence < config.warmupMessages else {
                state.tally.unexpected += 1
                return
            }
        case .measured:
            guard sequence >= config.warmupMessages, sequence < config.sequencesPerSender else {
                state.tally.unexpected += 1
                return
            }
        }
        let bit = senderSlot * config.sequencesPerSender + sequence
        let word = bit >> 6
        let mask: UInt64 = 1 << UInt64(bit & 63)
        if seen[word] & mask != 0 {
            state.tally.duplicated += 1
            return
        }
        seen[word] |= mask
        if sequence < highest[senderSlot] {
            state.tally.reordered += 1
        } else {
            highest[senderSlot] = sequence
        }
        receivedFrom[senderSlot] += 1
        received += 1
        state.progress += 1
        if header.kind == .measured {
            measuredFrom[senderSlot] += 1
            state.tally.delivered += 1
            state.tally.histogram.record(now > header.sentAt ? now - header.sentAt : 0)
            if now > state.tally.lastReceive { state.tally.lastReceive = now }
        } else {
            state.tally.warmupDelivered += 1
        }
        let run = self.run!
        if let remaining = run.remaining {
            let number = room * config.senders + senderSlot
            if remaining.add(number * config.sequencesPerSender + sequence, -1) == 0 {
                run.messageCompleted(senderNumber: number)
            }
        }
        if received == warmupTarget {
            run.warmupDone.countDown()
        }
        if received == totalTarget {
            run.measureDone.countDown()
        }
    }

    func webSocketDidClose(_ client: WebSocketClient) {
        ws = nil
        timer?.cancel()
        timer = nil
        guard !run.isFinishing, client.closeInfo.wasOpen else { return }
        state.tally.disconnected += 1
        if let violation = client.protocolViolation {
            run.abort("connection \(index) (room \(room)) was closed during the run after a protocol error: \(violation)")
        } else {
            let code = client.closeInfo.serverCode.map { " with code \($0)" } ?? " without a close frame"
            run.abort("connection \(index) (room \(room)) was closed by the server\(code) during the run")
        }
    }

    /// Up to `limit` descriptions of messages this receiver is still missing.
    func missingExamples(limit: Int) -> [String] {
        var examples: [String] = []
        for senderSlot in 0..<config.senders where senderSlot != slot {
            let missing = config.sequencesPerSender - receivedFrom[senderSlot]
            guard missing > 0, examples.count < limit else { continue }
            var first = -1
            for sequence in 0..<config.sequencesPerSender {
                let bit = senderSlot * config.sequencesPerSender + sequence
                if seen[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
                    first = sequence
                    break
                }
            }
            let sender = room * config.clients + senderSlot
            examples.append(
                "connection \(index) (room \(room)) is missing \(missing) of \(config.sequencesPerSender) messages from connection \(sender), first seq \(first)"
            )
        }
        return examples
    }

    // MARK: Sending

    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    /// Sends readiness probes until every other connection of the room received one.
    func startProbing() {
        loop.preconditionInEventLoop()
        guard let ws, ws.isOpen, !run.isFinishing, run.roomPending.load(room) > 0 else {
            timer = nil
            return
        }
        let sequence = probesSent
        probesSent += 1
        let now = monotonicNanoseconds()
        ws.writeText(length: config.bytes) { out in
            Payload.write(kind: .probe, sender: index, sequence: sequence, sentAt: now, into: out)
        }
        ws.flush()
        timer = loop.scheduleTask(in: config.probeInterval) { [self] in startProbing() }
    }

    /// Sends this sender's messages up to (not including) sequence number `end`.
    func startPhase(end: Int) {
        loop.preconditionInEventLoop()
        timer?.cancel()
        phaseEnd = end
        if let rate = config.rate {
            startPaced(rate: rate)
        } else {
            pump()
        }
    }

    /// Window mode: sends while fewer than `window` messages are in flight.
    func pump() {
        guard let ws, ws.isOpen else { return }
        let run = self.run!
        let number = senderNumber
        let window = config.window
        var wrote = false
        while sent < phaseEnd {
            if sent - run.completed.load(number) >= window {
                run.waiting.store(number, 1)
                if sent - run.completed.load(number) >= window { break }
                run.waiting.store(number, 0)
            }
            sendOne(ws)
            wrote = true
        }
        if wrote { ws.flush() }
    }

    /// Rate mode: sends what is due every tick (at least 1 ms apart), catching up after a late tick.
    private func startPaced(rate: Double) {
        paceStart = monotonicNanoseconds()
        paceFirst = sent
        paceTick(rate: rate)
    }

    private var paceStart: UInt64 = 0
    private var paceFirst = 0

    private func paceTick(rate: Double) {
        guard let ws, ws.isOpen else {
            timer = nil
            return
        }
        let elapsed = Double(monotonicNanoseconds() - paceStart)
        let due = min(phaseEnd, paceFirst + Int(elapsed * rate / 1_000_000_000) + 1)
        var wrote = false
        while sent < due {
            sendOne(ws)
            wrote = true
        }
        if wrote { ws.flush() }
        guard sent < phaseEnd else {
            timer = nil
            return
        }
        let interval = max(1_000_000, Int64(1_000_000_000 / rate))
        timer = loop.scheduleTask(in: .nanoseconds(interval)) { [self] in paceTick(rate: rate) }
    }

    @inline(__always)
    private func sendOne(_ ws: WebSocketClient) {
        let sequence = sent
        sent += 1
        let kind: Payload.Kind = sequence < config.warmupMessages ? .warmup : .measured
        let now = monotonicNanoseconds()
        if kind == .measured, firstMeasuredSend == .max { firstMeasuredSend = now }
        lastSend = now
        let sender = index
        ws.writeText(length: config.bytes) { out in
            Payload.write(kind: kind, sender: sender, sequence: sequence, sentAt: now, into: out)
        }
    }
}
